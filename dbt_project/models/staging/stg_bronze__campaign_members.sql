with
checked as (select * from {{ ref('base_bronze__campaign_members') }}),

final as (
    select
        member_id,
        campaign_id,
        guest_id,
        source_system,
        assigned_group,
        campaign_name,
        offer_id,
        currency,
        selected_from,
        window_days,
        offer_cost,
        assigned_at,
        cast(assigned_at as date) as assigned_date,
        _batch_id
    from checked
    where failed_rule is null
)

select * from final
