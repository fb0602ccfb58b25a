{# One row per guest: profile without raw PII, lifetime figures and the latest scores. #}
with
guests as (select * from {{ ref('int_guests_unified') }}),

context as (select * from {{ ref('run_context') }}),

current_features as (
    select features.*
    from {{ ref('guest_feature_snapshots') }} as features
    inner join context on features.snapshot_date = context.current_snapshot_date
),

scores as (select * from {{ source('scoring', 'guest_scores') }}),

final as (
    select
        guests.guest_id,
        guests.country_code,
        guests.language,
        guests.has_marketing_consent,
        guests.is_loyalty_member,
        current_features.days_since_first_stay,
        coalesce(current_features.stays_count, 0) as lifetime_stays,
        coalesce(current_features.lifetime_revenue, 0) as lifetime_revenue,
        current_features.avg_stay_revenue,
        current_features.days_since_last_stay,
        current_features.stays_last_365d,
        current_features.revenue_last_365d,
        current_features.bookings_count,
        current_features.cancellations_count,
        current_features.upcoming_bookings,
        current_features.email_open_rate_180d,
        scores.churn_probability,
        scores.churn_risk,
        scores.clv_12m,
        scores.segment,
        scores.model_version,
        context.as_of_date
    from guests
    cross join context
    left join current_features on guests.guest_id = current_features.guest_id
    left join scores on guests.guest_id = scores.guest_id
)

select * from final
