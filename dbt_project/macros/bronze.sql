{#
  A bronze table, or an empty one with its contract columns when the entity was never loaded:
  every entity but stays is optional, and the models must run on stays alone.
#}
{% macro bronze_source(entity) -%}
    {%- set relation = source('bronze', entity) -%}
    {%- if execute -%}
        {%- set found = adapter.get_relation(
            database=relation.database, schema=relation.schema, identifier=relation.identifier
        ) -%}
        {%- if found is none -%}
            {%- set node = graph.sources['source.guestloyalty.bronze.' ~ entity] -%}
            (
                select
                {%- for column in node.columns %}
                    cast(null as varchar) as {{ column }},
                {%- endfor %}
                    cast(null as varchar) as _batch_id,
                    cast(null as varchar) as _source_file,
                    cast(null as bigint) as _row_number,
                    cast(null as timestamp) as _loaded_at
                where 1 = 0
            )
        {%- else -%}
            {{ relation }}
        {%- endif -%}
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}

{# The lineage columns every bronze row carries: load batch, file, row in the file, load time. #}
{% macro bronze_lineage_columns(relation=none) -%}
    {%- set prefix = relation ~ '.' if relation else '' -%}
    {{ prefix }}_batch_id,
    {{ prefix }}_source_file,
    {{ prefix }}_row_number,
    {{ prefix }}_loaded_at
{%- endmacro %}

{#
  True for a row that a later copy of the same key replaces: the latest load wins, and within
  one load the last row of the file. The one place the duplicate-key rule of silver is defined.
#}
{% macro is_superseded(key) -%}
    row_number() over (
        partition by source_system, {{ key }} order by _loaded_at desc, _row_number desc
    ) > 1
{%- endmacro %}
