with
checked as (select * from {{ ref('base_bronze__loyalty_transactions') }}),

final as (
    select
        transaction_id,
        guest_id,
        source_system,
        transaction_type,
        tier,
        reward,
        stay_id,
        points,
        tier_rank,
        occurred_at,
        cast(occurred_at as date) as occurred_date,
        _batch_id
    from checked
    where failed_rule is null
)

select * from final
