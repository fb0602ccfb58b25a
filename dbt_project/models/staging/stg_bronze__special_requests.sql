with
checked as (select * from {{ ref('base_bronze__special_requests') }}),

final as (
    select
        request_id,
        booking_id,
        guest_id,
        source_system,
        request_type,
        request_text,
        created_at,
        _batch_id
    from checked
    where failed_rule is null
)

select * from final
