{# One row: which optional entities this data has at all (an entity never exported is not a 0). #}
with
reconciliation as (select * from {{ ref('int_bronze_reconciliation') }}),

final as (
    select
        max(case when entity = 'bookings' and silver_rows > 0 then 1 else 0 end) = 1
            as has_bookings,
        max(case when entity = 'engagement_events' and silver_rows > 0 then 1 else 0 end) = 1
            as has_engagement_events,
        max(case when entity = 'loyalty_transactions' and silver_rows > 0 then 1 else 0 end) = 1
            as has_loyalty_transactions,
        max(case when entity = 'reviews' and silver_rows > 0 then 1 else 0 end) = 1
            as has_reviews,
        max(case when entity = 'special_requests' and silver_rows > 0 then 1 else 0 end) = 1
            as has_special_requests
    from reconciliation
)

select * from final
