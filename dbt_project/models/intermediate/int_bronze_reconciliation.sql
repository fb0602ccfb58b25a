{#
  Row reconciliation per entity: every bronze row is either in silver (its stg_ model) or in
  quarantine. A test asserts bronze_rows = silver_rows + quarantined_rows for every entity.
#}
with
bronze_guests as (
    select 'guests' as entity, count(*) as bronze_rows from {{ bronze_source('guests') }}
),

bronze_bookings as (
    select 'bookings' as entity, count(*) as bronze_rows from {{ bronze_source('bookings') }}
),

bronze_stays as (
    select 'stays' as entity, count(*) as bronze_rows from {{ bronze_source('stays') }}
),

bronze_engagement_events as (
    select 'engagement_events' as entity, count(*) as bronze_rows from {{ bronze_source('engagement_events') }}
),

bronze_loyalty_transactions as (
    select 'loyalty_transactions' as entity, count(*) as bronze_rows from {{ bronze_source('loyalty_transactions') }}
),

bronze_reviews as (
    select 'reviews' as entity, count(*) as bronze_rows from {{ bronze_source('reviews') }}
),

bronze_preferences as (
    select 'preferences' as entity, count(*) as bronze_rows from {{ bronze_source('preferences') }}
),

bronze_special_requests as (
    select 'special_requests' as entity, count(*) as bronze_rows from {{ bronze_source('special_requests') }}
),

bronze_campaign_members as (
    select 'campaign_members' as entity, count(*) as bronze_rows from {{ bronze_source('campaign_members') }}
),

silver_guests as (
    select 'guests' as entity, count(*) as silver_rows from {{ ref('stg_bronze__guests') }}
),

silver_bookings as (
    select 'bookings' as entity, count(*) as silver_rows from {{ ref('stg_bronze__bookings') }}
),

silver_stays as (
    select 'stays' as entity, count(*) as silver_rows from {{ ref('stg_bronze__stays') }}
),

silver_engagement_events as (
    select 'engagement_events' as entity, count(*) as silver_rows from {{ ref('stg_bronze__engagement_events') }}
),

silver_loyalty_transactions as (
    select 'loyalty_transactions' as entity, count(*) as silver_rows from {{ ref('stg_bronze__loyalty_transactions') }}
),

silver_reviews as (
    select 'reviews' as entity, count(*) as silver_rows from {{ ref('stg_bronze__reviews') }}
),

silver_preferences as (
    select 'preferences' as entity, count(*) as silver_rows from {{ ref('stg_bronze__preferences') }}
),

silver_special_requests as (
    select 'special_requests' as entity, count(*) as silver_rows from {{ ref('stg_bronze__special_requests') }}
),

silver_campaign_members as (
    select 'campaign_members' as entity, count(*) as silver_rows from {{ ref('stg_bronze__campaign_members') }}
),

quarantined as (
    select entity, count(*) as quarantined_rows from {{ ref('quarantine') }} group by entity
),

bronze_counts as (
    select * from bronze_guests
    union all
    select * from bronze_bookings
    union all
    select * from bronze_stays
    union all
    select * from bronze_engagement_events
    union all
    select * from bronze_loyalty_transactions
    union all
    select * from bronze_reviews
    union all
    select * from bronze_preferences
    union all
    select * from bronze_special_requests
    union all
    select * from bronze_campaign_members
),

silver_counts as (
    select * from silver_guests
    union all
    select * from silver_bookings
    union all
    select * from silver_stays
    union all
    select * from silver_engagement_events
    union all
    select * from silver_loyalty_transactions
    union all
    select * from silver_reviews
    union all
    select * from silver_preferences
    union all
    select * from silver_special_requests
    union all
    select * from silver_campaign_members
),

final as (
    select
        bronze_counts.entity,
        bronze_counts.bronze_rows,
        silver_counts.silver_rows,
        coalesce(quarantined.quarantined_rows, 0) as quarantined_rows
    from bronze_counts
    inner join silver_counts on bronze_counts.entity = silver_counts.entity
    left join quarantined on bronze_counts.entity = quarantined.entity
)

select * from final
