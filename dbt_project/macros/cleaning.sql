{# Text cleaning shared by the staging models. Portable SQL; DuckDB-only syntax is dispatched. #}

{#
  A bronze table with every contract column cleaned once: trimmed, and null when blank or a
  null token (NULL, NA, N/A, NONE, NaN in any case); the load columns come along unchanged.
  The base models type and check these columns without cleaning them again. Only values of
  at most 4 characters can be a token, so the case-insensitive comparison runs on those.
#}
{% macro cleaned_bronze(entity) -%}
    {%- if execute -%}
        {%- set columns = graph.sources['source.guestloyalty.bronze.' ~ entity].columns.keys() | list -%}
        (
            select
            {%- for column in columns %}
                case
                    when length({{ column }}) <= 4 and ({{ column }} = ''
                        {%- for token in ['NULL', 'NA', 'N/A', 'NONE', 'NAN'] %}
                        or upper({{ column }}) = '{{ token }}'
                        {%- endfor %})
                        then null
                    else {{ column }}
                end as {{ column }},
            {%- endfor %}
                _batch_id,
                _source_file,
                _row_number,
                _loaded_at
            from (
                select
                {%- for column in columns %}
                    trim({{ column }}) as {{ column }},
                {%- endfor %}
                    _batch_id,
                    _source_file,
                    _row_number,
                    _loaded_at
                from {{ bronze_source(entity) }} as bronze
            ) as trimmed
        )
    {%- else -%}
        {{ bronze_source(entity) }}
    {%- endif -%}
{%- endmacro %}

{% macro safe_cast(expression, type) -%}
    {{ return(adapter.dispatch('safe_cast', 'guestloyalty')(expression, type)) }}
{%- endmacro %}

{% macro default__safe_cast(expression, type) -%}
    try_cast({{ expression }} as {{ type }})
{%- endmacro %}

{# The safe_* macros type a column that cleaned_bronze has already cleaned. #}
{% macro safe_date(column) -%}
    {{ guestloyalty.safe_cast(guestloyalty.safe_cast(column, 'timestamp'), 'date') }}
{%- endmacro %}

{#
  A timestamp; one written with a UTC offset (2025-06-01T10:00:00+02:00, ...Z) is converted to
  UTC, one without is taken as written. (A date keeps the day as written: safe_date.)
#}
{% macro safe_timestamp(column) -%}
    {{ return(adapter.dispatch('safe_timestamp', 'guestloyalty')(column)) }}
{%- endmacro %}

{% macro default__safe_timestamp(column) -%}
    {{ guestloyalty.safe_cast(column, 'timestamp') }}
{%- endmacro %}

{% macro duckdb__safe_timestamp(column) -%}
    case
        when regexp_matches({{ column }}, '[0-9]:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)? ?([+-][0-9]{2}(:?[0-9]{2})?|Z)$')
            then cast(timezone('UTC', try_cast({{ column }} as timestamptz)) as timestamp)
        else try_cast({{ column }} as timestamp)
    end
{%- endmacro %}

{% macro safe_number(column, type='double') -%}
    {{ guestloyalty.safe_cast(column, type) }}
{%- endmacro %}

{% macro safe_bool(column) -%}
    case
        when lower({{ column }}) in ('true', 't', '1', 'yes', 'y') then true
        when lower({{ column }}) in ('false', 'f', '0', 'no', 'n') then false
    end
{%- endmacro %}

{# Add days to a date; the day count must be an integer in DuckDB 2.0. #}
{% macro add_days(date_expression, days) -%}
    {{ return(adapter.dispatch('add_days', 'guestloyalty')(date_expression, days)) }}
{%- endmacro %}

{% macro default__add_days(date_expression, days) -%}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}

{% macro duckdb__add_days(date_expression, days) -%}
    cast(({{ date_expression }}) + cast({{ days }} as integer) as date)
{%- endmacro %}

{% macro add_months(date_expression, months) -%}
    cast({{ dbt.dateadd('month', months, date_expression) }} as date)
{%- endmacro %}

{% macro days_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}

{# Normalised email (of a cleaned column): lower-case; null unless it looks like an address. #}
{% macro normalise_email(column) -%}
    case
        when {{ column }} like '%_@_%.__%' then lower({{ column }})
    end
{%- endmacro %}

{# E.164-ish phone (of a cleaned column): digits only, a leading + kept ('00' becomes '+');
   null below 6 digits. #}
{% macro normalise_phone(column) -%}
    {%- set digits = guestloyalty.regexp_remove(column, '[^0-9]') -%}
    case
        when {{ column }} is null then null
        when length({{ digits }}) < 6 then null
        when {{ column }} like '+%' then concat('+', {{ digits }})
        when {{ digits }} like '00%' then concat('+', substr({{ digits }}, 3))
        else {{ digits }}
    end
{%- endmacro %}

{# Remove every match of a regular expression. #}
{% macro regexp_remove(expression, pattern) -%}
    {{ return(adapter.dispatch('regexp_remove', 'guestloyalty')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regexp_remove(expression, pattern) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '')
{%- endmacro %}

{% macro duckdb__regexp_remove(expression, pattern) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '', 'g')
{%- endmacro %}

{#
  Keyed hash of a normalised identifier: sha256(key || value), hex, so the hashes cannot be
  reversed by hashing a list of known emails without the key. Null stays null. On DuckDB the
  key is a connection variable set by the guestloyalty.dbt_plugin plugin (profiles.yml), never
  rendered into SQL, so no compiled file, manifest or docs page holds it. Other engines render
  it from the environment (GUESTLOYALTY_HASH_KEY, set by guestloyalty.transform).
#}
{% macro keyed_hash(expression) -%}
    case
        when ({{ expression }}) is not null
            then {{ adapter.dispatch('sha256_hex', 'guestloyalty')(
                "concat(" ~ adapter.dispatch('hash_key', 'guestloyalty')() ~ ", "
                ~ expression ~ ")") }}
    end
{%- endmacro %}

{% macro default__hash_key() -%}
    '{{ env_var('GUESTLOYALTY_HASH_KEY') }}'
{%- endmacro %}

{# Fails the model when the plugin did not run: concat would read a null key as ''. #}
{% macro duckdb__hash_key() -%}
    coalesce(
        getvariable('guestloyalty_hash_key'),
        error('the hash key is not set: run dbt through guestloyalty (guestloyalty.dbt_plugin)')
    )
{%- endmacro %}

{% macro default__sha256_hex(expression) -%}
    sha2({{ expression }}, 256)
{%- endmacro %}

{% macro duckdb__sha256_hex(expression) -%}
    sha256({{ expression }})
{%- endmacro %}

{# Day of the week, 0 = Sunday .. 6 = Saturday. #}
{% macro day_of_week(date_expression) -%}
    {{ return(adapter.dispatch('day_of_week', 'guestloyalty')(date_expression)) }}
{%- endmacro %}

{% macro default__day_of_week(date_expression) -%}
    extract(dow from {{ date_expression }})
{%- endmacro %}

{% macro duckdb__day_of_week(date_expression) -%}
    dayofweek({{ date_expression }})
{%- endmacro %}

{# Spark's dayofweek and extract(dow) count 1 = Sunday .. 7 = Saturday. #}
{% macro spark__day_of_week(date_expression) -%}
    (dayofweek({{ date_expression }}) - 1)
{%- endmacro %}

{#
  round(x, digits) as DuckDB computes it for a double: the exact binary value rounded half
  away from zero, so 44.05 (44.04999... in binary) gives 44.0. Spark's round rounds the
  shortest decimal representation half up instead (44.05 gives 44.1). spark__round_to rounds
  x * 10^digits to a whole number, which agrees with DuckDB unless the product lands exactly
  on .5; there the product's rounding error (Dekker's exact product: split both factors into
  halves of 26 bits) says which side the true value lies on. Checked against DuckDB on 319
  values (ties such as 44.05, 1.005, 2.675, -2.675, 0.125, 12345678.125 and random ones) at
  0, 1, 2, 4, 6 and 9 digits: all equal, where Spark's round differs on 17 of them.
#}
{% macro round_to(expression, digits) -%}
    {{ return(adapter.dispatch('round_to', 'guestloyalty')(expression, digits)) }}
{%- endmacro %}

{% macro default__round_to(expression, digits) -%}
    round({{ expression }}, {{ digits }})
{%- endmacro %}

{% macro spark__round_to(expression, digits) -%}
    {%- set value = 'cast(' ~ expression ~ ' as double)' -%}
    {%- set scale = '1e' ~ digits -%}
    {%- set scaled = '(' ~ value ~ ' * ' ~ scale ~ ')' -%}
    {%- set value_high = '(134217729.0 * ' ~ value ~ ' - (134217729.0 * ' ~ value ~ ' - ' ~ value ~ '))' -%}
    {%- set value_low = '(' ~ value ~ ' - ' ~ value_high ~ ')' -%}
    {%- set scale_high = '(134217729.0 * ' ~ scale ~ ' - (134217729.0 * ' ~ scale ~ ' - ' ~ scale ~ '))' -%}
    {%- set scale_low = '(' ~ scale ~ ' - ' ~ scale_high ~ ')' -%}
    {%- set error = '(((' ~ value_high ~ ' * ' ~ scale_high ~ ' - ' ~ scaled ~ ') + ' ~ value_high
        ~ ' * ' ~ scale_low ~ ' + ' ~ value_low ~ ' * ' ~ scale_high ~ ') + ' ~ value_low ~ ' * '
        ~ scale_low ~ ')' -%}
    (case
        when {{ scaled }} - floor({{ scaled }}) = 0.5
            then case sign({{ error }})
                when -1 then floor({{ scaled }})
                when 1 then ceil({{ scaled }})
                else round({{ scaled }})
            end
        else round({{ scaled }})
    end / {{ scale }})
{%- endmacro %}


{#
  Friday and Saturday nights in a stay of `nights` nights from `start_date`: two per full week,
  plus those among the remaining nights (night k falls on weekday (dow(start) + k) mod 7).
#}
{% macro weekend_nights(start_date, nights) -%}
    (
        2 * floor(({{ nights }}) / 7)
        + case when mod(12 - {{ guestloyalty.day_of_week(start_date) }}, 7)
            < mod({{ nights }}, 7) then 1 else 0 end
        + case when mod(13 - {{ guestloyalty.day_of_week(start_date) }}, 7)
            < mod({{ nights }}, 7) then 1 else 0 end
    )
{%- endmacro %}

{#
  Mid-rank percentiles in [0, 1] of the non-null values of an expression over a relation: the
  mean of the ascending and descending percent ranks, so ties share the middle of their range.
  An expression with a single value carries no information and gives null. `descending=true`
  when lower is better.

  Emits two CTEs, `<name>_counts` and `<name>` (value, percentile): join `<name>` on
  value = the expression (a null value finds no row, so nulls stay null). Ranks come from the
  count of rows per distinct value, never from a window over every row: counts have a few
  dozen values, and one select with many per-row windows costs far more than the sum of them.
  With n rows, b below a value and a above it, the ascending percent rank is b / (n - 1) and
  the descending one a / (n - 1), the values percent_rank() gives, bit for bit.
#}
{% macro percentile_ranks(name, relation, expression, descending=false) -%}
    {%- set up_to = 'sum(value_rows) over (order by value rows between unbounded preceding '
        ~ 'and current row)' -%}
    {%- set below = '(' ~ up_to ~ ' - value_rows)' -%}
    {%- set above = '(sum(value_rows) over () - ' ~ up_to ~ ')' -%}
    {%- set first, second = (above, below) if descending else (below, above) -%}
{{ name }}_counts as (
    select
        {{ expression }} as value,
        count(*) as value_rows
    from {{ relation }}
    where ({{ expression }}) is not null
    group by {{ expression }}
),

{{ name }} as (
    select
        value,
        case when count(*) over () > 1 then 0.5 * (
            cast({{ first }} as double) / cast(sum(value_rows) over () - 1 as double)
            + 1 - cast({{ second }} as double) / cast(sum(value_rows) over () - 1 as double)
        ) end as percentile
    from {{ name }}_counts
)
{%- endmacro %}

{# Mean of the non-null expressions; null when all are null. #}
{% macro mean_of_present(expressions) -%}
    (
        {%- for expression in expressions %}
        coalesce({{ expression }}, 0){{ ' +' if not loop.last }}
        {%- endfor %}
    ) / nullif(
        {%- for expression in expressions %}
        case when {{ expression }} is not null then 1 else 0 end{{ ' +' if not loop.last }}
        {%- endfor %}
    , 0)
{%- endmacro %}
