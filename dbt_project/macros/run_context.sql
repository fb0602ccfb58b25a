{# The run's cut-off and horizon, from vars set by the Python runner. #}

{% macro as_of_var() -%}
    {%- set value = var('as_of', none) -%}
    {%- if value is none or value == '' or value == 'None' -%}
        cast(null as date)
    {%- else -%}
        cast('{{ value }}' as date)
    {%- endif -%}
{%- endmacro %}

{% macro horizon_days() -%}
    {{ var('horizon_days', 365) | int }}
{%- endmacro %}
