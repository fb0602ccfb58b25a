{# Every bronze stated preference, typed once, with the first rule it fails (null: passes). #}
with
source as (select * from {{ cleaned_bronze('preferences') }}),

typed as (
    select
        guest_id,
        coalesce(source_system, 'default') as source_system,
        lower(preference_type) as preference_type,
        preference_value,
        {{ safe_timestamp('updated_at') }} as updated_at,
        updated_at as raw_updated_at,
        {{ bronze_lineage_columns() }}
    from source
),

checked as (
    select
        *,
        case
            when guest_id is null then 'guest_id_blank'
            when preference_type is null then 'preference_type_blank'
            when preference_type not in ('room', 'floor', 'pillow', 'dining', 'amenity')
                then 'preference_type_unknown'
            when preference_value is null then 'preference_value_blank'
            when raw_updated_at is not null and updated_at is null then 'updated_at_unparseable'
            when row_number() over (
                partition by source_system, guest_id, preference_type
                order by updated_at desc nulls last, _loaded_at desc, _row_number desc
            ) > 1 then 'duplicate_key'
        end as failed_rule
    from typed
),

final as (
    select
        guest_id,
        source_system,
        preference_type,
        preference_value,
        updated_at,
        failed_rule,
        {{ bronze_lineage_columns() }}
    from checked
)

select * from final
