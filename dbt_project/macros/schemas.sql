{#
  Where a model lands. DuckDB: silver models in the silver file's main schema, gold marts and
  seeds (`+database: gold` in dbt_project.yml) in the attached gold build file. Spark has one
  catalog and no databases, only schemas: silver models go to the target schema (silver),
  gold ones to the run's build schema (GUESTLOYALTY_SPARK_GOLD_SCHEMA, set by
  guestloyalty.transform: gold_<run>), which the publish step then points readers at.
#}
{% macro generate_database_name(custom_database_name=none, node=none) -%}
    {%- if target.type == 'spark' and custom_database_name is not none -%}
        {{ env_var('GUESTLOYALTY_SPARK_GOLD_SCHEMA') }}
    {%- else -%}
        {{ default__generate_database_name(custom_database_name, node) }}
    {%- endif -%}
{%- endmacro %}

{% macro generate_schema_name(custom_schema_name=none, node=none) -%}
    {%- if target.type == 'spark' and node is not none and node.config.database -%}
        {{ env_var('GUESTLOYALTY_SPARK_GOLD_SCHEMA') }}
    {%- else -%}
        {{ default__generate_schema_name(custom_schema_name, node) }}
    {%- endif -%}
{%- endmacro %}
