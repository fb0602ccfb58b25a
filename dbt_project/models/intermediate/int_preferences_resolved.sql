{# Stated preferences on the resolved guest_id; the latest value per guest and type wins. #}
with
preferences as (select * from {{ ref('stg_bronze__preferences') }}),

identity_map as (select * from {{ ref('int_guest_identity_map') }}),

resolved as (
    select
        identity_map.guest_id,
        preferences.preference_type,
        preferences.preference_value,
        preferences.updated_at,
        row_number() over (
            partition by identity_map.guest_id, preferences.preference_type
            order by preferences.updated_at desc nulls last, preferences.source_system asc
        ) as recency_rank
    from preferences
    inner join identity_map
        on preferences.source_system = identity_map.source_system
        and preferences.guest_id = identity_map.source_guest_id
),

final as (
    select guest_id, preference_type, preference_value, updated_at
    from resolved
    where recency_rank = 1
)

select * from final
