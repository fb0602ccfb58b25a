with
checked as (select * from {{ ref('base_bronze__preferences') }}),

final as (
    select
        guest_id,
        source_system,
        preference_type,
        preference_value,
        updated_at,
        _batch_id
    from checked
    where failed_rule is null
)

select * from final
