{{ config(materialized='view') }}

with
source as (select * from {{ bronze_source('loyalty_transactions') }}),

tiers as (select * from {{ ref('loyalty_tier_aliases') }}),

typed as (
    select
        {{ clean_text('source.transaction_id') }} as source_transaction_id,
        {{ clean_text('source.guest_id') }} as guest_id,
        coalesce({{ clean_text('source.source_system') }}, 'default') as source_system,
        lower({{ clean_text('source.transaction_type') }}) as transaction_type,
        {{ safe_timestamp('source.occurred_at') }} as occurred_at,
        {{ safe_number('source.points', 'integer') }} as points,
        coalesce(tiers.tier, lower({{ clean_text('source.tier') }})) as tier,
        tiers.tier_rank,
        {{ clean_text('source.reward') }} as reward,
        {{ clean_text('source.stay_id') }} as stay_id,
        {{ clean_text('source.occurred_at') }} as raw_occurred_at,
        {{ clean_text('source.points') }} as raw_points,
        source._batch_id,
        source._source_file,
        source._row_number,
        source._loaded_at
    from source
    left join tiers on lower({{ clean_text('source.tier') }}) = tiers.alias
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
            when raw_points is not null and points is null then 'points_not_a_number'
            when transaction_type = 'tier_change' and tier is null then 'tier_blank'
            when row_number() over (
                partition by source_system, transaction_id
                order by _loaded_at desc, _row_number desc
            ) > 1 then 'duplicate_key'
        end as failed_rule
    from keyed
)

select * from checked
