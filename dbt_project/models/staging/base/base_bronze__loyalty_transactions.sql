{# Every bronze loyalty transaction, typed once, with the first rule it fails (null: passes). #}
with
source as (select * from {{ cleaned_bronze('loyalty_transactions') }}),

tiers as (select * from {{ ref('loyalty_tier_aliases') }}),

typed as (
    select
        source.transaction_id as source_transaction_id,
        source.guest_id,
        coalesce(source.source_system, 'default') as source_system,
        lower(source.transaction_type) as transaction_type,
        {{ safe_timestamp('source.occurred_at') }} as occurred_at,
        {{ safe_number('source.points', 'integer') }} as points,
        coalesce(tiers.tier, lower(source.tier)) as tier,
        tiers.tier_rank,
        source.reward,
        source.stay_id,
        source.occurred_at as raw_occurred_at,
        source.points as raw_points,
        {{ bronze_lineage_columns('source') }}
    from source
    left join tiers on lower(source.tier) = tiers.alias
),

keyed as (
    select
        *,
        coalesce(
            source_transaction_id,
            md5(concat_ws('|', source_system, guest_id, transaction_type,
                cast(occurred_at as varchar), cast(points as varchar), tier, stay_id))
        ) as transaction_id
    from typed
),

checked as (
    select
        *,
        case
            when guest_id is null then 'guest_id_blank'
            when transaction_type is null then 'transaction_type_blank'
            when transaction_type not in ('earn', 'redeem', 'expire', 'adjust', 'tier_change')
                then 'transaction_type_unknown'
            when raw_occurred_at is null then 'occurred_at_blank'
            when occurred_at is null then 'occurred_at_unparseable'
            {{ implausible_date_rules('cast(occurred_at as date)', 'occurred_at') }}
            when raw_points is not null and points is null then 'points_not_a_number'
            when transaction_type = 'tier_change' and tier is null then 'tier_blank'
            when {{ is_superseded('transaction_id') }} then 'duplicate_key'
        end as failed_rule
    from keyed
),

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
        failed_rule,
        {{ bronze_lineage_columns() }}
    from checked
)

select * from final
