{#
  not_null on several columns in one scan of the model (one dbt node, not one per column):
  returns one row per column holding nulls, with how many.
#}
{% test not_null_columns(model, columns) %}
with null_rows as (
    select
        {%- for column in columns %}
        sum(case when {{ column }} is null then 1 else 0 end) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
)

{% for column in columns -%}
select '{{ column }}' as column_name, {{ column }} as null_rows
from null_rows
where {{ column }} > 0
{{ 'union all' if not loop.last }}
{% endfor %}
{% endtest %}
