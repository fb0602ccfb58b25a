with
checked as (select * from {{ ref('base_bronze__engagement_events') }}),

final as (
    select
        event_id,
        guest_id,
        source_system,
        event_type,
        campaign_id,
        occurred_at,
        cast(occurred_at as date) as occurred_date,
        _batch_id
    from checked
    where failed_rule is null
)

select * from final
