{#
  Stays credited to the campaign touchpoints before their booking (multi-touch attribution).
  A stay (check-in up to as_of) converts on the day it was booked (its check-in when the
  booking is unknown); its touchpoints are the guest's campaign events (sends, opens,
  clicks) from var('attribution_lookback_days') before that day up to it. Four models, one
  row per stay, touchpoint and model with a weight above 0, weights summing to 1 per stay
  and model, so attributed_revenue sums to the revenue of the stays attributed:
    last_touch   the latest touchpoint gets it all
    first_touch  the earliest gets it all
    linear       every touchpoint the same share
    time_decay   shares halving every var('attribution_half_life_days') before the booking
  Attribution credits whatever was touched; only campaign_results (randomized holdout)
  measures what a campaign changed. Weights are rounded to 9 decimals and revenue to 6, so
  that identical runs give identical gold whatever order a parallel sum took.
#}
with
context as (select * from {{ ref('run_context') }}),

stays as (select * from {{ ref('int_stays_enriched') }}),

bookings as (
    select
        booking_id,
        booked_date,
        row_number() over (partition by booking_id order by source_system) as booking_rank
    from {{ ref('int_bookings_enriched') }}
),

touchpoints as (select * from {{ ref('int_campaign_touchpoints') }}),

conversions as (
    select
        stays.stay_id,
        stays.guest_id,
        stays.total_revenue,
        coalesce(least(bookings.booked_date, stays.check_in_date), stays.check_in_date)
            as converted_date
    from stays
    cross join context
    left join bookings
        on stays.booking_id = bookings.booking_id
        and bookings.booking_rank = 1
    where stays.check_in_date <= context.as_of_date
),

touched as (
    select
        conversions.stay_id,
        conversions.guest_id,
        conversions.total_revenue,
        conversions.converted_date,
        touchpoints.event_id,
        touchpoints.campaign_id,
        touchpoints.event_type,
        touchpoints.occurred_at,
        {{ days_between('touchpoints.occurred_date', 'conversions.converted_date') }}
            as days_before_booking
    from conversions
    inner join touchpoints
        on conversions.guest_id = touchpoints.guest_id
        and conversions.converted_date >= touchpoints.occurred_date
        and {{ add_days('conversions.converted_date', -var('attribution_lookback_days', 30)) }}
            <= touchpoints.occurred_date
),

ranked as (
    select
        touched.*,
        row_number() over (
            partition by touched.stay_id order by touched.occurred_at desc, touched.event_id desc
        ) as rank_from_last,
        row_number() over (
            partition by touched.stay_id order by touched.occurred_at, touched.event_id
        ) as rank_from_first,
        count(*) over (partition by touched.stay_id) as touchpoints,
        power(
            0.5, touched.days_before_booking * 1e0 / {{ var('attribution_half_life_days', 7) }}
        ) as decay
    from touched
),

decayed as (
    select
        ranked.*,
        ranked.decay / sum(ranked.decay) over (partition by ranked.stay_id) as decay_weight
    from ranked
),

weighted as (
    select decayed.*, 'last_touch' as attribution_model, 1e0 as weight
    from decayed
    where decayed.rank_from_last = 1
    union all
    select decayed.*, 'first_touch' as attribution_model, 1e0 as weight
    from decayed
    where decayed.rank_from_first = 1
    union all
    select decayed.*, 'linear' as attribution_model, 1e0 / decayed.touchpoints as weight
    from decayed
    union all
    select decayed.*, 'time_decay' as attribution_model, decayed.decay_weight as weight
    from decayed
),

final as (
    select
        stay_id,
        event_id,
        attribution_model,
        guest_id,
        campaign_id,
        event_type,
        touchpoints,
        days_before_booking,
        {{ guestloyalty.round_to("weight", 9) }} as weight,
        total_revenue as stay_revenue,
        {{ guestloyalty.round_to("weight * total_revenue", 6) }} as attributed_revenue,
        converted_date,
        occurred_at as touched_at
    from weighted
)

select * from final
