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
  `source` (columns: guest_id plus whatever the expressions use).
    spans:    dict name -> (start_expr, end_expr or none)
    measures: list of (column, expression, span, kind); kind 'sum', 'money' (sum rounded to
              cents, so that parallel float sums stay reproducible) or 'max' (a running
              maximum; only on spans without an end).
  `first_index` names a CTE (guest_id, first_index): deltas before a guest's first snapshot
  row fold into that row. The caller defines the CTEs `calendar` and `calendar_bounds`.
  The final model turns deltas into values with a running sum (max) over snapshot_index.
#}
{% macro snapshot_deltas(name, source, spans, measures, first_index='guest_first_index') -%}
    {%- set dates = [] -%}
    {%- for span_name, bounds in spans.items() -%}
        {%- for expression in bounds -%}
            {%- if expression is not none and expression not in dates -%}
                {%- do dates.append(expression) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set aggregate = {'sum': 'sum', 'money': 'sum', 'max': 'max'} -%}
{{ name }}_indexed as (
    select
        {{ source }}.guest_id,
        {%- for expression in dates %}
        day_{{ loop.index }}.snapshot_index as index_{{ loop.index }},
        {%- endfor %}
        {%- for column, expression, span, kind in measures %}
        {{ expression }} as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ source }}
    cross join calendar_bounds
    {%- for expression in dates %}
    inner join calendar as day_{{ loop.index }}
        on day_{{ loop.index }}.calendar_date = {{ guestloyalty._calendar_day(expression) }}
    {%- endfor %}
),

{{ name }}_buckets as (
    select
        guest_id,
        {%- for expression in dates %}
        index_{{ loop.index }},
        {%- endfor %}
        {%- for column, expression, span, kind in measures %}
        {%- if kind == 'money' %}
        round(sum({{ column }}), 2) as {{ column }}{{ ',' if not loop.last }}
        {%- else %}
        {{ aggregate[kind] }}({{ column }}) as {{ column }}{{ ',' if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from {{ name }}_indexed
    group by
        guest_id
        {%- for expression in dates %}, index_{{ loop.index }}{% endfor %}
),

{{ name }}_signed as (
    {%- for span_name, bounds in spans.items() %}
    {%- set outer = loop %}
    {%- for edge in [0, 1] if bounds[edge] is not none %}
    {%- if not (outer.first and edge == 0) %}
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
    {%- endfor %}
    {%- endfor %}
),

{{ name }}_deltas as (
    select
        {{ name }}_signed.guest_id,
        greatest({{ name }}_signed.snapshot_index, {{ first_index }}.first_index)
            as snapshot_index,
        {%- for column, expression, span, kind in measures %}
        {%- if kind == 'money' %}
        round(sum({{ name }}_signed.{{ column }}), 2) as {{ column }}{{ ',' if not loop.last }}
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
{%- endmacro %}

{# Running total of a delta column over a guest's snapshots (0 when the guest has none). #}
{% macro running(column, kind='sum') -%}
    {%- if kind == 'max' -%}
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
