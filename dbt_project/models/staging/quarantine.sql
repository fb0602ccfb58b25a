{# Every bronze row that failed typing or a rule, with the rule, so nothing is silently lost. #}
{{ config(materialized='table') }}

with
guests as (
    select
        'guests' as entity,
        _batch_id,
        _source_file,
        _row_number,
        _loaded_at,
        failed_rule
    from {{ ref('base_bronze__guests') }}
    where failed_rule is not null
),

bookings as (
    select
        'bookings' as entity,
        _batch_id,
        _source_file,
        _row_number,
        _loaded_at,
        failed_rule
    from {{ ref('base_bronze__bookings') }}
    where failed_rule is not null
),

stays as (
    select
        'stays' as entity,
        _batch_id,
        _source_file,
        _row_number,
        _loaded_at,
        failed_rule
    from {{ ref('base_bronze__stays') }}
    where failed_rule is not null
),

engagement_events as (
    select
        'engagement_events' as entity,
        _batch_id,
        _source_file,
        _row_number,
        _loaded_at,
        failed_rule
    from {{ ref('base_bronze__engagement_events') }}
    where failed_rule is not null
),

loyalty_transactions as (
    select
        'loyalty_transactions' as entity,
        _batch_id,
        _source_file,
        _row_number,
        _loaded_at,
        failed_rule
    from {{ ref('base_bronze__loyalty_transactions') }}
    where failed_rule is not null
),

reviews as (
    select
        'reviews' as entity,
        _batch_id,
        _source_file,
        _row_number,
        _loaded_at,
        failed_rule
    from {{ ref('base_bronze__reviews') }}
    where failed_rule is not null
),

preferences as (
    select
        'preferences' as entity,
        _batch_id,
        _source_file,
        _row_number,
        _loaded_at,
        failed_rule
    from {{ ref('base_bronze__preferences') }}
    where failed_rule is not null
),

special_requests as (
    select
        'special_requests' as entity,
        _batch_id,
        _source_file,
        _row_number,
        _loaded_at,
        failed_rule
    from {{ ref('base_bronze__special_requests') }}
    where failed_rule is not null
),

campaign_members as (
    select
        'campaign_members' as entity,
        _batch_id,
        _source_file,
        _row_number,
        _loaded_at,
        failed_rule
    from {{ ref('base_bronze__campaign_members') }}
    where failed_rule is not null
),

final as (
    select * from guests
    union all
    select * from bookings
    union all
    select * from stays
    union all
    select * from engagement_events
    union all
    select * from loyalty_transactions
    union all
    select * from reviews
    union all
    select * from preferences
    union all
    select * from special_requests
    union all
    select * from campaign_members
)

select * from final
