{#
  Point-in-time aggregation without multiplying events by snapshots.

  Every dated row contributes a measure to a *span* of snapshots: those whose (exclusive)
  cut-off date s satisfies  start_date < s <= end_date  (end_date null: every later snapshot).
  `int_snapshot_calendar` maps a day d to next_index(d), the index of the first snapshot
  strictly after d, so that span is the index range [next_index(start), next_index(end)).
  Each row adds +measure at the first index and -measure at the end index; a running sum over
  snapshot_index then yields, at every snapshot, the total over exactly the rows in range.
  Work is linear in rows + guests x snapshots, never rows x snapshots.

  Examples (s = snapshot date, d = event date):
    all history before s          start d,        end null      (d < s)
    last 365 days before s        start d,        end d + 365   (s - 365 <= d < s)
    label window [s, s + h)       start d - h,    end d         (s <= d < s + h)
    open booking (booked, arrival) start booked,  end arrival   (booked < s <= arrival)
#}

{# Clamp a date into the calendar and look up its snapshot index (joins `calendar_bounds`). #}
{% macro _calendar_day(date_expression) -%}
    greatest(least({{ date_expression }}, calendar_bounds.last_date), calendar_bounds.first_date)
{%- endmacro %}

{#
  CTEs `<name>_indexed`, `<name>_buckets`, `<name>_signed`, `<name>_deltas` over the CTE
  `source` (columns: guest_id plus whatever the expressions use). With a sample (below) the
  deltas are `<name>_folded` (sampled guests) and `<name>_current` (the others) instead.
    spans:    dict name -> (start_expr, end_expr or none)
    measures: list of (column, expression, span, kind); kind 'sum', 'money' (sum rounded to
              cents, so that parallel float sums stay reproducible) or 'max' (a running
              maximum; only on spans without an end).
  `first_index` names a CTE (guest_id, first_index): deltas before a guest's first snapshot
  row fold into that row. The caller defines the CTEs `calendar` and `calendar_bounds`.
  The final model turns deltas into values with a running sum (max) over snapshot_index.
  `<name>_buckets` (one row per guest and distinct edge indexes, measures aggregated) is not
  folded: its index_1 .. index_n are the indexes of the span dates in order of first mention.

  `sample` (optional) names a one-row CTE (first_unsampled_bucket, current_index,
  current_snapshot_date): a guest is sampled when sample_bucket(guest_id) is below
  first_unsampled_bucket. Guests outside the sample have one row, at
  current_index, so their deltas skip the signed and fold steps: `<name>_current` holds, per
  guest, the measures whose span covers the current snapshot (what every delta up to it adds
  up to). Without money measures their source rows are not even indexed: a span covers the
  current snapshot when start < current_snapshot_date <= end, and each guest becomes one
  bucket. With money they go through the buckets like everyone's, so that sums are rounded
  per bucket exactly as on the full path.
#}
{% macro snapshot_deltas(name, source, spans, measures, first_index='guest_first_index',
    sample=none) -%}
    {%- set dates = [] -%}
    {%- for span_name, bounds in spans.items() -%}
        {%- for expression in bounds -%}
            {%- if expression is not none and expression not in dates -%}
                {%- do dates.append(expression) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set aggregate = {'sum': 'sum', 'money': 'sum', 'max': 'max'} -%}
    {%- set has_money = measures | selectattr(3, 'equalto', 'money') | list | length > 0 -%}
    {#- how the rows of guests outside the sample leave the full path #}
    {%- set split = none if sample is none else ('buckets' if has_money else 'rows') -%}
{%- if sample is not none %}
{{ name }}_keyed as (
    select
        {{ source }}.*,
        {{ guestloyalty.sample_bucket(source ~ '.guest_id') }}
            < {{ sample }}.first_unsampled_bucket as is_sampled
    from {{ source }}
    cross join {{ sample }}
),
{% endif %}
{{ name }}_indexed as (
    select
        {{ source }}.guest_id,
        {%- if sample is not none %}
        {{ source }}.is_sampled,
        {%- endif %}
        {%- for expression in dates %}
        day_{{ loop.index }}.snapshot_index as index_{{ loop.index }},
        {%- endfor %}
        {%- for column, expression, span, kind in measures %}
        {%- if split == 'rows' %}
        {%- set bounds = spans[span] %}
        case
            when {{ source }}.is_sampled
                or ({{ bounds[0] }} < {{ sample }}.current_snapshot_date
                {%- if bounds[1] is not none %}
                    and {{ bounds[1] }} >= {{ sample }}.current_snapshot_date
                {%- endif %})
                then {{ expression }}
        end as {{ column }}{{ ',' if not loop.last }}
        {%- else %}
        {{ expression }} as {{ column }}{{ ',' if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from {{ name ~ '_keyed as ' ~ source if sample is not none else source }}
    cross join calendar_bounds
    {%- if split == 'rows' %}
    cross join {{ sample }}
    {%- for expression in dates %}
    left join calendar as day_{{ loop.index }}
        on day_{{ loop.index }}.calendar_date = case
            when {{ source }}.is_sampled then {{ guestloyalty._calendar_day(expression) }}
        end
    {%- endfor %}
    {#- what the inner joins of the full path do: a row with any date unknown counts nowhere #}
    where
        {%- for expression in dates %}
        {{ 'and ' if not loop.first }}({{ expression }}) is not null
        {%- endfor %}
    {%- else %}
    {%- for expression in dates %}
    inner join calendar as day_{{ loop.index }}
        on day_{{ loop.index }}.calendar_date = {{ guestloyalty._calendar_day(expression) }}
    {%- endfor %}
    {%- endif %}
),

{{ name }}_buckets as (
    select
        guest_id,
        {%- if sample is not none %}
        is_sampled,
        {%- endif %}
        {%- for expression in dates %}
        index_{{ loop.index }},
        {%- endfor %}
        {%- for column, expression, span, kind in measures %}
        {%- if kind == 'money' %}
        {{ guestloyalty.round_to("sum(" ~ column ~ ")", 2) }} as {{ column }}{{ ',' if not loop.last }}
        {%- else %}
        {{ aggregate[kind] }}({{ column }}) as {{ column }}{{ ',' if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from {{ name }}_indexed
    group by
        guest_id
        {%- if sample is not none %}, is_sampled{% endif %}
        {%- for expression in dates %}, index_{{ loop.index }}{% endfor %}
),

{{ name }}_signed as (
    {%- set edges = [] -%}
    {%- for span_name, bounds in spans.items() -%}
        {%- for edge in [0, 1] if bounds[edge] is not none -%}
            {%- if measures | selectattr(2, 'equalto', span_name) | list -%}
                {%- do edges.append((span_name, bounds, edge)) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for span_name, bounds, edge in edges %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    select
        guest_id,
        index_{{ dates.index(bounds[edge]) + 1 }} as snapshot_index,
        {%- for column, expression, span, kind in measures %}
        {%- if span == span_name %}
        {{ '-' if edge == 1 }}{{ column }} as {{ column }}{{ ',' if not loop.last }}
        {%- elif kind == 'max' %}
        null as {{ column }}{{ ',' if not loop.last }}
        {%- else %}
        0 as {{ column }}{{ ',' if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from {{ name }}_buckets
    {#- rows that change nothing are left out: every measure of the span zero or null, or a
        span that opens and closes at the same snapshot (its +x and -x cancel) #}
    where (
        {%- for column, expression, span, kind in measures if span == span_name %}
        {{ 'or ' if not loop.first }}{{ column }} {{ 'is not null' if kind == 'max' else '<> 0' }}
        {%- endfor %}
    )
    {%- if bounds[1] is not none %}
        and index_{{ dates.index(bounds[0]) + 1 }} <> index_{{ dates.index(bounds[1]) + 1 }}
    {%- endif %}
    {%- if sample is not none %}
        and is_sampled
    {%- endif %}
    {%- endfor %}
),

{{ name }}_{{ 'deltas' if sample is none else 'folded' }} as (
    select
        {{ name }}_signed.guest_id,
        greatest({{ name }}_signed.snapshot_index, {{ first_index }}.first_index)
            as snapshot_index,
        {%- for column, expression, span, kind in measures %}
        {%- if kind == 'money' %}
        {{ guestloyalty.round_to("sum(" ~ name ~ "_signed." ~ column ~ ")", 2) }} as {{ column }}{{ ',' if not loop.last }}
        {%- else %}
        {{ aggregate[kind] }}({{ name }}_signed.{{ column }})
            as {{ column }}{{ ',' if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from {{ name }}_signed
    inner join {{ first_index }} on {{ name }}_signed.guest_id = {{ first_index }}.guest_id
    group by
        {{ name }}_signed.guest_id,
        greatest({{ name }}_signed.snapshot_index, {{ first_index }}.first_index)
)
{%- if sample is not none %},

{{ name }}_current as (
    select
        guest_id,
        {{ sample }}.current_index as snapshot_index,
        {%- for column, expression, span, kind in measures %}
        {%- if split == 'rows' %}
        {{ column }}{{ ',' if not loop.last }}
        {%- else %}
        {%- set bounds = spans[span] %}
        {%- set covers = 'index_' ~ (dates.index(bounds[0]) + 1) ~ ' <= ' ~ sample
            ~ '.current_index' %}
        {%- if bounds[1] is not none %}
            {%- set covers = covers ~ ' and index_' ~ (dates.index(bounds[1]) + 1) ~ ' > '
                ~ sample ~ '.current_index' %}
        {%- endif %}
        {%- if kind == 'money' %}
        {{ guestloyalty.round_to("sum(case when " ~ covers ~ " then " ~ column ~ " end)", 2) }}
            as {{ column }}{{ ',' if not loop.last }}
        {%- else %}
        {{ aggregate[kind] }}(case when {{ covers }} then {{ column }} end)
            as {{ column }}{{ ',' if not loop.last }}
        {%- endif %}
        {%- endif %}
        {%- endfor %}
    from {{ name }}_buckets
    cross join {{ sample }}
    where not {{ name }}_buckets.is_sampled
    {%- if split == 'buckets' %}
    group by {{ name }}_buckets.guest_id, {{ sample }}.current_index
    {%- endif %}
)
{%- endif %}
{%- endmacro %}

{#
  Running total of a delta column over a guest's snapshots (0 when the guest has none).
  `single=true` for guests with one row, whose deltas all fold into it: no window needed.
#}
{% macro running(column, kind='sum', single=false) -%}
    {%- if single -%}
    {{ column if kind == 'max' else 'coalesce(' ~ column ~ ', 0)' }}
    {%- elif kind == 'max' -%}
    max({{ column }}) over (
        partition by grid.guest_id order by grid.snapshot_index
        rows between unbounded preceding and current row
    )
    {%- else -%}
    coalesce(sum({{ column }}) over (
        partition by grid.guest_id order by grid.snapshot_index
        rows between unbounded preceding and current row
    ), 0)
    {%- endif -%}
{%- endmacro %}

{#
  "Latest value before the snapshot" as a running max: pack (day number, value) into one
  integer so that max() picks the value of the latest date (ties: the larger value).
  Values must be integers in [0, width).
#}
{% macro pack_latest(date_expression, value_expression, width) -%}
    case
        when ({{ value_expression }}) is not null
            then cast({{ guestloyalty.days_between("cast('1970-01-01' as date)", date_expression) }}
                as bigint) * {{ width }} + cast({{ value_expression }} as bigint)
    end
{%- endmacro %}

{% macro unpack_latest(key_expression, width) -%}
    mod({{ key_expression }}, {{ width }})
{%- endmacro %}

{#
  A guest's sample bucket in [0, 1000000): a hash of the id, so the same guest always lands in
  the same bucket (on one engine); a sample takes the buckets below a cut-off. The bucket
  count is a literal: a modulus read from a column costs several times more per row.
#}
{% macro sample_bucket(expression) -%}
    {{ return(adapter.dispatch('sample_bucket', 'guestloyalty')(expression, 1000000)) }}
{%- endmacro %}

{% macro default__sample_bucket(expression, buckets) -%}
    mod(abs(hash({{ expression }})), {{ buckets }})
{%- endmacro %}

{% macro duckdb__sample_bucket(expression, buckets) -%}
    cast(hash({{ expression }}) % {{ buckets }} as bigint)
{%- endmacro %}
