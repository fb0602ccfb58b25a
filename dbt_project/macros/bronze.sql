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
                    cast(null as string) as {{ column }},
                {%- endfor %}
                    cast(null as string) as _batch_id,
                    cast(null as string) as _source_file,
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

{#
  The one shape of every base_bronze__<entity> model: each bronze row typed once, with the
  first rule it fails (null: it passes).

    entity          the bronze table (read through cleaned_bronze)
    typed           the entity's select over `source` (and the imports): casts and renames
    rules           (rule, condition) pairs in order; the first that holds names failed_rule
    columns         the output columns, before failed_rule and the lineage columns
    imports         (name, relation) pairs: lookups the typed select joins
    surrogate_key   (key, parts): key is source_<key> when the source has one, else the md5
                    of the parts
    money_bound     (rule, rate): a second pass over the rows that passed `rules`: a row
                    whose rate (money per night) is far above its property and room type's
                    (macros/plausibility.sql, money_bounds) fails `rule`
    late_rules      (rule, condition) pairs checked after the money bound (duplicate_key, so
                    that a superseded row is named as such only when it is otherwise valid)
#}
{% macro base_bronze(
    entity, typed, rules, columns, imports=[], surrogate_key=none, money_bound=none,
    late_rules=[]
) -%}
with
source as (select * from {{ cleaned_bronze(entity) }}),
{% for name, relation in imports %}
{{ name }} as (select * from {{ relation }}),
{% endfor %}
typed as (
{{ typed }}
),
{%- if surrogate_key %}
{%- set key, parts = surrogate_key %}

keyed as (
    select
        *,
        coalesce(
            source_{{ key }},
            md5(concat_ws('|', {{ parts | join(', ') }}))
        ) as {{ key }}
    from typed
),
{%- endif %}

{%- if money_bound %}
{%- set money_rule, rate = money_bound %}

first_pass as (
    select
        *,
        case
        {%- for rule, condition in rules %}
            when {{ condition }} then '{{ rule }}'
        {%- endfor %}
        end as first_rule
    from {{ 'keyed' if surrogate_key else 'typed' }}
),

{{ money_bounds(
    'money_bounds',
    '(select * from first_pass where first_rule is null)',
    rate,
    ['_batch_id', '_source_file', '_row_number']) }},

bounded as (
    select
        first_pass.*,
        money_bounds.log_rate,
        money_bounds.upper_log_rate
    from first_pass
    left join money_bounds
        on first_pass._batch_id = money_bounds._batch_id
        and first_pass._source_file = money_bounds._source_file
        and first_pass._row_number = money_bounds._row_number
),

checked as (
    select
        *,
        case
            when first_rule is not null then first_rule
            when log_rate > upper_log_rate then '{{ money_rule }}'
        {%- for rule, condition in late_rules %}
            when {{ condition }} then '{{ rule }}'
        {%- endfor %}
        end as failed_rule
    from bounded
),
{%- else %}

checked as (
    select
        *,
        case
        {%- for rule, condition in rules + late_rules %}
            when {{ condition }} then '{{ rule }}'
        {%- endfor %}
        end as failed_rule
    from {{ 'keyed' if surrogate_key else 'typed' }}
),
{%- endif %}

final as (
    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        failed_rule,
        {{ bronze_lineage_columns() }}
    from checked
)

select * from final
{%- endmacro %}
