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
