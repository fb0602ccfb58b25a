{#
  Plausibility rules: values that parse but cannot be true. They give base_bronze (macros/
  bronze.sql) (rule, condition) pairs, lookups and the money bound, so that every rule has one
  definition and a name that status, the report and the README show. Thresholds are dbt vars
  (dbt_project.yml).
#}

{# Years that exports write for "unknown": 1900, 1901, 1970 (epoch 0), and 2099 onwards. #}
{% macro is_placeholder_year(date_expression) -%}
    (
        extract(year from {{ date_expression }}) in (1900, 1901, 1970)
        or extract(year from {{ date_expression }}) >= 2099
    )
{%- endmacro %}

{#
  Dates outside the window the data can describe, as (rule, condition) pairs for base_bronze:
  - `<name>_placeholder`: a placeholder year (1900, 1901, 1970, 2099 and later);
  - `<name>_before_group_existed`: before var first_plausible_date (default 1990-01-01);
  - `<name>_in_future`: after the day the row was loaded, plus `ahead_days` (1 for events,
    which have happened by the time they are exported; more for arrival dates of bookings).
#}
{% macro implausible_date_rules(column, name, ahead_days=1) -%}
    {{ return([
        (name ~ '_placeholder', is_placeholder_year(column)),
        (name ~ '_before_group_existed',
            column ~ " < cast('" ~ var('first_plausible_date', '1990-01-01') ~ "' as date)"),
        (name ~ '_in_future',
            column ~ ' > ' ~ add_days('cast(_loaded_at as date)', ahead_days | string)),
    ]) }}
{%- endmacro %}

{#
  Exchange rates into the reporting currency: var reporting_currency when set, else the
  currency most stays and bookings are in (EUR when they name none), so that an export in one
  currency (CDNOW in USD) stays in it and a few rows in another are converted. One row per
  currency of the seed exchange_rates, with `to_reporting` (reporting
  currency units per unit) and `reporting_currency`. A currency that finds no row is
  quarantined (currency_unknown). A subquery: pass it to base_bronze as an import.
#}
{% macro reporting_rates() -%}
(
    select
        rates.currency,
        cast(rates.eur_per_unit as double)
            / cast(reporting.eur_per_unit as double) as to_reporting,
        reporting.currency as reporting_currency
    from {{ ref('exchange_rates') }} as rates
    cross join (
        select exchange_rates.currency, exchange_rates.eur_per_unit
        from {{ ref('exchange_rates') }} as exchange_rates
        where exchange_rates.currency = (
            {%- set pinned = var('reporting_currency', none) %}
            {%- if pinned is not none and pinned != '' and pinned != 'None' %}
            select '{{ pinned }}'
            {%- else %}
            select coalesce((
                select upper(currency)
                from (
                    select currency from {{ cleaned_bronze('stays') }} as stays_currencies
                    union all
                    select currency from {{ cleaned_bronze('bookings') }} as bookings_currencies
                ) as currencies
                where currency is not null
                group by upper(currency)
                order by count(*) desc, upper(currency)
                limit 1
            ), 'EUR')
            {%- endif %}
        )
    ) as reporting
)
{%- endmacro %}

{#
  Robust upper bounds of a money rate (e.g. revenue per night, in the reporting currency),
  per property and room type: on ln(1 + rate), Q3 + k * IQR (k = var money_iqr_factor,
  default 4; the IQR at least var money_min_log_iqr, 0.5, so a group of equal prices does not
  quarantine a slightly dearer room). A group with fewer than var money_min_group_rows (30)
  rows uses its property's bound, then the bound over all rows; below that no bound (null).
  Emits CTEs `<name>_rated`, `<name>_by_room`, `<name>_by_property`, `<name>_overall` and
  `<name>` (row key columns + log_rate + upper_log_rate): join `<name>` on `keys`.

  `relation` holds the candidate rows (those that passed the other rules), `rate` the rate
  expression over its columns, `keys` the columns that identify a row.
#}
{% macro money_bounds(name, relation, rate, keys) -%}
    {%- set k = var('money_iqr_factor', 4) -%}
    {%- set floor = var('money_min_log_iqr', 0.5) -%}
    {%- set min_rows = var('money_min_group_rows', 30) -%}
{{ name }}_rated as (
    select
        {{ keys | join(', ') }},
        coalesce(property_id, '') as bound_property,
        coalesce(room_type, '') as bound_room_type,
        ln(1 + ({{ rate }})) as log_rate
    from {{ relation }}
    where ({{ rate }}) >= 0
),

{{ name }}_by_room as (
    select
        bound_property,
        bound_room_type,
        count(*) as group_rows,
        percentile_cont(0.75) within group (order by log_rate) as q3,
        percentile_cont(0.75) within group (order by log_rate)
            - percentile_cont(0.25) within group (order by log_rate) as iqr
    from {{ name }}_rated
    group by bound_property, bound_room_type
),

{{ name }}_by_property as (
    select
        bound_property,
        count(*) as group_rows,
        percentile_cont(0.75) within group (order by log_rate) as q3,
        percentile_cont(0.75) within group (order by log_rate)
            - percentile_cont(0.25) within group (order by log_rate) as iqr
    from {{ name }}_rated
    group by bound_property
),

{{ name }}_overall as (
    select
        count(*) as group_rows,
        percentile_cont(0.75) within group (order by log_rate) as q3,
        percentile_cont(0.75) within group (order by log_rate)
            - percentile_cont(0.25) within group (order by log_rate) as iqr
    from {{ name }}_rated
),

{{ name }} as (
    select
        {%- for key in keys %}
        rated.{{ key }},
        {%- endfor %}
        rated.log_rate,
        case
            when by_room.group_rows >= {{ min_rows }}
                then by_room.q3 + {{ k }} * greatest(by_room.iqr, {{ floor }})
            when by_property.group_rows >= {{ min_rows }}
                then by_property.q3 + {{ k }} * greatest(by_property.iqr, {{ floor }})
            when overall.group_rows >= {{ min_rows }}
                then overall.q3 + {{ k }} * greatest(overall.iqr, {{ floor }})
        end as upper_log_rate
    from {{ name }}_rated as rated
    cross join {{ name }}_overall as overall
    left join {{ name }}_by_room as by_room
        on rated.bound_property = by_room.bound_property
        and rated.bound_room_type = by_room.bound_room_type
    left join {{ name }}_by_property as by_property
        on rated.bound_property = by_property.bound_property
)
{%- endmacro %}
