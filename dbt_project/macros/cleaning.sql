{# Text cleaning shared by the staging models. Portable SQL; DuckDB-only syntax is dispatched. #}

{% macro clean_text(column) -%}
    case
        when upper(trim({{ column }})) in ('', 'NULL', 'NA', 'N/A', 'NONE', 'NAN') then null
        else trim({{ column }})
    end
{%- endmacro %}

{% macro safe_cast(expression, type) -%}
    {{ return(adapter.dispatch('safe_cast', 'guestloyalty')(expression, type)) }}
{%- endmacro %}

{% macro default__safe_cast(expression, type) -%}
    try_cast({{ expression }} as {{ type }})
{%- endmacro %}

{% macro safe_date(column) -%}
    {{ guestloyalty.safe_cast(guestloyalty.safe_cast(guestloyalty.clean_text(column), 'timestamp'), 'date') }}
{%- endmacro %}

{% macro safe_timestamp(column) -%}
    {{ guestloyalty.safe_cast(guestloyalty.clean_text(column), 'timestamp') }}
{%- endmacro %}

{% macro safe_number(column, type='double') -%}
    {{ guestloyalty.safe_cast(guestloyalty.clean_text(column), type) }}
{%- endmacro %}

{% macro safe_bool(column) -%}
    case
        when lower({{ guestloyalty.clean_text(column) }}) in ('true', 't', '1', 'yes', 'y') then true
        when lower({{ guestloyalty.clean_text(column) }}) in ('false', 'f', '0', 'no', 'n') then false
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
