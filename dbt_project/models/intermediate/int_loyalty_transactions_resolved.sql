{#
  Loyalty transactions on the resolved guest_id, with signed points: earn adds, redeem and
  expire subtract (whatever sign the export used), adjust keeps its sign, tier changes are 0.
#}
with
transactions as (select * from {{ ref('stg_bronze__loyalty_transactions') }}),

identity_map as (select * from {{ ref('int_guest_identity_map') }}),

final as (
    select
        transactions.transaction_id,
        transactions.source_system,
        transactions.guest_id as source_guest_id,
        identity_map.guest_id,
        transactions.transaction_type,
        transactions.tier,
        transactions.reward,
        transactions.stay_id,
        transactions.points,
        case transactions.transaction_type
            when 'earn' then abs(coalesce(transactions.points, 0))
            when 'redeem' then -abs(coalesce(transactions.points, 0))
            when 'expire' then -abs(coalesce(transactions.points, 0))
            when 'adjust' then coalesce(transactions.points, 0)
            else 0
        end as signed_points,
        transactions.tier_rank,
        transactions.occurred_at,
        transactions.occurred_date
    from transactions
    inner join identity_map
        on transactions.source_system = identity_map.source_system
        and transactions.guest_id = identity_map.source_guest_id
)

select * from final
