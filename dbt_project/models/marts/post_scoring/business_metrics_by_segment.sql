{#
  Business metrics by model segment (guest_scores) and booking channel over the 365 days up to
  as_of: guests, stays, room nights, revenue, ADR, repeat-stay share, cancellation and no-show
  rates, and the segment's mean churn probability and predicted 12-month CLV. Stays without a
  known booking channel count under channel 'unknown'.
#}
with
context as (select * from {{ ref('run_context') }}),

scores as (select * from {{ source('scoring', 'guest_scores') }}),

stays as (
    select stays.*
    from {{ ref('int_stays_enriched') }} as stays
    cross join context
    where stays.check_in_date <= context.as_of_date
        and stays.check_in_date > {{ add_days('context.as_of_date', -365) }}
),

bookings as (
    select bookings.*
    from {{ ref('int_bookings_enriched') }} as bookings
    cross join context
    where bookings.arrival_date <= context.as_of_date
        and bookings.arrival_date > {{ add_days('context.as_of_date', -365) }}
),

stay_figures as (
    select
        scores.segment,
        coalesce(stays.channel, 'unknown') as channel,
        count(distinct stays.guest_id) as guests,
        count(*) as stays,
        sum(coalesce(stays.nights, 0)) as room_nights,
        {{ guestloyalty.round_to("sum(stays.total_revenue)", 2) }} as revenue,
        {{ guestloyalty.round_to("sum(case when stays.nights > 0 then stays.room_revenue end)", 2) }}
            as rated_room_revenue,
        sum(case when stays.nights > 0 and stays.room_revenue is not null
            then stays.nights end) as rated_nights,
        sum(case when stays.stay_sequence > 1 then 1 else 0 end) as repeat_stays,
        avg(scores.churn_probability) as avg_churn_probability,
        avg(scores.clv_horizon) as avg_clv_horizon
    from stays
    inner join scores on stays.guest_id = scores.guest_id
    group by scores.segment, coalesce(stays.channel, 'unknown')
),

booking_figures as (
    select
        scores.segment,
        coalesce(bookings.channel, 'unknown') as channel,
        count(*) as bookings,
        sum(case when bookings.is_cancelled then 1 else 0 end) as cancellations,
        sum(case when bookings.is_no_show then 1 else 0 end) as no_shows
    from bookings
    inner join scores on bookings.guest_id = scores.guest_id
    group by scores.segment, coalesce(bookings.channel, 'unknown')
),

cells as (
    select segment, channel from stay_figures
    union
    select segment, channel from booking_figures
),

final as (
    select
        cells.segment,
        cells.channel,
        channels.channel_group,
        coalesce(stay_figures.guests, 0) as guests,
        coalesce(stay_figures.stays, 0) as stays,
        coalesce(stay_figures.room_nights, 0) as room_nights,
        coalesce(stay_figures.revenue, 0) as revenue,
        {{ guestloyalty.round_to("stay_figures.rated_room_revenue / nullif(stay_figures.rated_nights, 0)", 2) }}
            as average_daily_rate,
        stay_figures.repeat_stays * 1.0 / nullif(stay_figures.stays, 0) as repeat_stay_share,
        coalesce(booking_figures.bookings, 0) as bookings,
        booking_figures.cancellations * 1.0 / nullif(booking_figures.bookings, 0)
            as cancellation_rate,
        booking_figures.no_shows * 1.0 / nullif(booking_figures.bookings, 0) as no_show_rate,
        {{ guestloyalty.round_to("stay_figures.avg_churn_probability", 4) }} as avg_churn_probability,
        {{ guestloyalty.round_to("stay_figures.avg_clv_horizon", 2) }} as avg_clv_horizon,
        {{ guestloyalty.round_to("stay_figures.avg_clv_horizon", 2) }} as avg_clv_12m,
        context.as_of_date
    from cells
    cross join context
    left join stay_figures
        on cells.segment = stay_figures.segment and cells.channel = stay_figures.channel
    left join booking_figures
        on cells.segment = booking_figures.segment and cells.channel = booking_figures.channel
    left join {{ ref('channels') }} as channels on cells.channel = channels.channel
)

select * from final
