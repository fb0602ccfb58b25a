{#
  One row per resolved guest: profile without raw PII (hashed ids, country, age band, consent),
  lifetime and recent stay / booking / revenue figures at as_of, preferred property kind,
  channel and room type, engagement, loyalty programme, reviews, stated preferences, the
  loyalty scorecard and RFM, and the latest churn / CLV / segment scores and lifecycle stage.
  Guests known only from a profile or a booking (no stay yet) have zero stays, no scores and
  the stage 'prospect'.
#}
with
guests as (select * from {{ ref('int_guests_unified') }}),

context as (select * from {{ ref('run_context') }}),

features as (select * from {{ ref('guest_feature_snapshots') }}),

stays as (select * from {{ ref('int_stays_enriched') }}),

bookings as (select * from {{ ref('int_bookings_enriched') }}),

loyalty as (select * from {{ ref('int_loyalty_transactions_resolved') }}),

reviews as (select * from {{ ref('int_reviews_resolved') }}),

preferences as (select * from {{ ref('int_preferences_resolved') }}),

loyalty_scores as (select * from {{ ref('guest_loyalty_scores') }}),

rfm as (select * from {{ ref('guest_rfm') }}),

scores as (select * from {{ source('scoring', 'guest_scores') }}),

current_features as (
    select features.*
    from features
    inner join context on features.snapshot_date = context.current_snapshot_date
),

-- read by five CTEs below, so it is built once: only the columns they use
stays_to_date as (
    select
        stays.guest_id,
        stays.property_kind,
        stays.property_id,
        stays.room_type,
        stays.channel,
        stays.nights,
        stays.check_in_date
    from stays
    inner join context on stays.check_in_date <= context.as_of_date
),

stay_summary as (
    select
        guest_id,
        min(check_in_date) as first_stay_date,
        max(check_in_date) as last_stay_date,
        sum(nights) as lifetime_nights
    from stays_to_date
    group by guest_id
),

{% for column in ['property_kind', 'property_id', 'room_type', 'channel'] %}
preferred_{{ column }} as (
    select guest_id, {{ column }}
    from (
        select
            guest_id,
            {{ column }},
            row_number() over (
                partition by guest_id order by count(*) desc, {{ column }}
            ) as preference_rank
        from stays_to_date
        where {{ column }} is not null
        group by guest_id, {{ column }}
    ) as ranked
    where preference_rank = 1
),
{% endfor %}

next_arrival as (
    select bookings.guest_id, min(bookings.arrival_date) as next_arrival_date
    from bookings
    cross join context
    where bookings.known_date <= context.as_of_date
        and bookings.arrival_date > context.as_of_date
        and coalesce(bookings.cancellation_known_date, cast('9999-12-31' as date))
            > context.as_of_date
    group by bookings.guest_id
),

latest_tier as (
    select guest_id, tier
    from (
        select
            loyalty.guest_id,
            loyalty.tier,
            row_number() over (
                partition by loyalty.guest_id
                order by loyalty.occurred_at desc, loyalty.tier_rank desc
            ) as tier_order
        from loyalty
        cross join context
        where loyalty.tier is not null and loyalty.occurred_date <= context.as_of_date
    ) as ranked
    where tier_order = 1
),

latest_review as (
    select guest_id, nps_group
    from (
        select
            reviews.guest_id,
            reviews.nps_group,
            row_number() over (
                partition by reviews.guest_id
                order by reviews.submitted_at desc, reviews.review_id asc
            ) as review_order
        from reviews
        cross join context
        where reviews.nps is not null and reviews.submitted_date <= context.as_of_date
    ) as ranked
    where review_order = 1
),

preference_values as (
    select
        guest_id,
        count(*) as preferences_count,
        max(case when preference_type = 'room' then preference_value end) as preferred_room,
        max(case when preference_type = 'floor' then preference_value end) as preferred_floor,
        max(case when preference_type = 'pillow' then preference_value end) as preferred_pillow,
        max(case when preference_type = 'dining' then preference_value end) as preferred_dining,
        max(case when preference_type = 'amenity' then preference_value end)
            as preferred_amenity
    from preferences
    group by guest_id
),

final as (
    select
        -- ids (hashed, never raw)
        guests.guest_id,
        guests.email_hash,
        guests.phone_hash,
        guests.source_ids_count,
        guests.profiles_count,
        -- profile
        guests.country_code,
        guests.language,
        case
            when guests.birth_date is null then 'unknown'
            when {{ days_between('guests.birth_date', 'context.as_of_date') }} < 25 * 365.25
                then 'under_25'
            when {{ days_between('guests.birth_date', 'context.as_of_date') }} < 35 * 365.25
                then '25-34'
            when {{ days_between('guests.birth_date', 'context.as_of_date') }} < 45 * 365.25
                then '35-44'
            when {{ days_between('guests.birth_date', 'context.as_of_date') }} < 55 * 365.25
                then '45-54'
            when {{ days_between('guests.birth_date', 'context.as_of_date') }} < 65 * 365.25
                then '55-64'
            else '65_plus'
        end as age_band,
        coalesce(guests.has_marketing_consent, false) as has_marketing_consent,
        coalesce(guests.has_email_opt_in, false) as has_email_opt_in,
        coalesce(guests.has_sms_opt_in, false) as has_sms_opt_in,
        coalesce(current_features.is_loyalty_member = 1, guests.is_loyalty_member)
            as is_loyalty_member,
        guests.created_date as profile_created_date,
        stay_summary.first_stay_date,
        stay_summary.last_stay_date,
        current_features.days_since_first_stay as tenure_days,
        -- stays and revenue
        coalesce(current_features.stays_count, 0) as lifetime_stays,
        coalesce(stay_summary.lifetime_nights, 0) as lifetime_nights,
        coalesce(current_features.lifetime_revenue, 0) as lifetime_revenue,
        current_features.avg_stay_revenue,
        current_features.avg_nights,
        current_features.avg_daily_rate,
        current_features.ancillary_share,
        current_features.weekend_night_share,
        current_features.days_since_last_stay,
        coalesce(current_features.stays_last_365d, 0) as stays_last_365d,
        coalesce(current_features.revenue_last_365d, 0) as revenue_last_365d,
        coalesce(current_features.properties_visited, 0) as properties_visited,
        preferred_property_kind.property_kind as preferred_property_kind,
        preferred_property_id.property_id as preferred_property_id,
        preferred_room_type.room_type as preferred_room_type,
        preferred_channel.channel as preferred_channel,
        -- bookings
        coalesce(current_features.bookings_count, 0) as bookings_count,
        coalesce(current_features.cancellations_count, 0) as cancellations_count,
        coalesce(current_features.no_shows_count, 0) as no_shows_count,
        current_features.cancellation_rate,
        current_features.avg_lead_days,
        current_features.direct_booking_share,
        coalesce(current_features.upcoming_bookings, 0) as upcoming_bookings,
        next_arrival.next_arrival_date,
        -- engagement
        current_features.email_open_rate_180d,
        coalesce(current_features.sessions_90d, 0) as sessions_90d,
        current_features.days_since_last_engagement,
        coalesce(current_features.is_unsubscribed = 1, false) as is_unsubscribed,
        -- loyalty programme
        latest_tier.tier as loyalty_tier,
        current_features.loyalty_tier_rank,
        coalesce(current_features.points_balance, 0) as points_balance,
        -- reviews and service
        coalesce(current_features.reviews_count, 0) as reviews_count,
        current_features.avg_rating,
        current_features.avg_nps,
        current_features.last_nps,
        latest_review.nps_group as last_nps_group,
        coalesce(current_features.service_failures_count, 0) as service_failures_count,
        coalesce(current_features.complaints_count, 0) as complaints_count,
        -- stated preferences
        coalesce(preference_values.preferences_count, 0) as preferences_count,
        preference_values.preferred_room,
        preference_values.preferred_floor,
        preference_values.preferred_pillow,
        preference_values.preferred_dining,
        preference_values.preferred_amenity,
        -- scorecard and RFM
        loyalty_scores.loyalty_score,
        loyalty_scores.score_tier,
        loyalty_scores.engagement_score,
        loyalty_scores.loyalty_component_score,
        loyalty_scores.value_score,
        loyalty_scores.satisfaction_score,
        loyalty_scores.advocacy_score,
        rfm.rfm_cell,
        rfm.rfm_segment,
        -- model scores
        scores.churn_probability,
        scores.churn_risk,
        coalesce(scores.lifecycle_stage, 'prospect') as lifecycle_stage,
        scores.expected_next_stay_date,
        scores.lapses_on,
        scores.days_overdue,
        scores.clv_horizon,
        scores.horizon_days,
        scores.clv_horizon as clv_12m,
        scores.segment,
        scores.model_version,
        context.as_of_date
    from guests
    cross join context
    left join current_features on guests.guest_id = current_features.guest_id
    left join stay_summary on guests.guest_id = stay_summary.guest_id
    left join preferred_property_kind on guests.guest_id = preferred_property_kind.guest_id
    left join preferred_property_id on guests.guest_id = preferred_property_id.guest_id
    left join preferred_room_type on guests.guest_id = preferred_room_type.guest_id
    left join preferred_channel on guests.guest_id = preferred_channel.guest_id
    left join next_arrival on guests.guest_id = next_arrival.guest_id
    left join latest_tier on guests.guest_id = latest_tier.guest_id
    left join latest_review on guests.guest_id = latest_review.guest_id
    left join preference_values on guests.guest_id = preference_values.guest_id
    left join loyalty_scores on guests.guest_id = loyalty_scores.guest_id
    left join rfm on guests.guest_id = rfm.guest_id
    left join scores on guests.guest_id = scores.guest_id
)

select * from final
