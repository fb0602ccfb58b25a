{#
  One row per upcoming booking known at as_of (arrival after as_of, not cancelled by then):
  what to prepare for the guest — their stated preferences (latest per type), what they asked
  for on this booking and on earlier ones, complaints so far, who they are to us, and the
  upsells the recommendations hold for them (room types above the booked one, extras, offers).
#}
with
context as (select * from {{ ref('run_context') }}),

bookings as (select * from {{ ref('int_bookings_enriched') }}),

preferences as (select * from {{ ref('int_preferences_resolved') }}),

requests as (select * from {{ ref('int_special_requests_resolved') }}),

scores as (select * from {{ source('scoring', 'guest_scores') }}),

actions as (select * from {{ ref('next_best_action') }}),

recommendations as (select * from {{ source('scoring', 'guest_recommendations') }}),

room_types as (select * from {{ ref('room_types') }}),

upcoming as (
    select bookings.*
    from bookings
    cross join context
    where bookings.arrival_date > context.as_of_date
        and coalesce(bookings.booked_date, bookings.arrival_date) <= context.as_of_date
        and not (bookings.is_cancelled
            and coalesce(bookings.cancellation_known_date, bookings.arrival_date)
                <= context.as_of_date)
),

stated as (
    select
        guest_id,
        max(case when preference_type = 'room' then preference_value end) as preferred_room,
        max(case when preference_type = 'floor' then preference_value end) as preferred_floor,
        max(case when preference_type = 'pillow' then preference_value end) as preferred_pillow,
        max(case when preference_type = 'dining' then preference_value end) as preferred_dining,
        max(case when preference_type = 'amenity' then preference_value end)
            as preferred_amenity
    from preferences
    group by guest_id
),

known_requests as (
    select requests.*
    from requests
    cross join context
    where requests.known_date is null or requests.known_date <= context.as_of_date
),

this_booking as (
    select
        booking_id,
        {{ dbt.listagg('distinct request_type', "', '", "order by request_type") }}
            as requests_this_booking
    from known_requests
    where not is_complaint
    group by booking_id
),

earlier as (
    select
        upcoming.booking_id,
        {{ dbt.listagg('distinct known_requests.request_type', "', '",
            "order by known_requests.request_type") }} as past_requests
    from upcoming
    inner join known_requests
        on upcoming.guest_id = known_requests.guest_id
        and upcoming.booking_id <> known_requests.booking_id
    where not known_requests.is_complaint
    group by upcoming.booking_id
),

upsells as (
    select
        upcoming.booking_id,
        {{ dbt.listagg('recommendations.item_name', "'; '", "order by recommendations.rank") }}
            as recommended_upsells
    from upcoming
    inner join recommendations on upcoming.guest_id = recommendations.guest_id
    left join room_types as booked on upcoming.room_type = booked.room_type
    left join room_types as offered
        on recommendations.item_kind = 'room_type'
        and recommendations.item_id = offered.room_type
    where recommendations.item_kind in ('room_type', 'extra', 'offer')
        and not (
            recommendations.item_kind = 'room_type'
            and coalesce(offered.sort_order <= booked.sort_order, false)
        )
    group by upcoming.booking_id
),

complaints as (
    select guest_id, count(*) as past_complaints
    from known_requests
    where is_complaint
    group by guest_id
),

final as (
    select
        upcoming.booking_id,
        upcoming.guest_id,
        upcoming.property_id,
        upcoming.arrival_date,
        upcoming.departure_date,
        {{ days_between('context.as_of_date', 'upcoming.arrival_date') }} as days_until_arrival,
        upcoming.length_of_stay,
        upcoming.room_type,
        upcoming.party_type,
        upcoming.party_size,
        upcoming.purpose,
        stated.preferred_room,
        stated.preferred_floor,
        stated.preferred_pillow,
        stated.preferred_dining,
        stated.preferred_amenity,
        this_booking.requests_this_booking,
        earlier.past_requests,
        coalesce(complaints.past_complaints, 0) as past_complaints,
        scores.segment,
        scores.churn_risk,
        scores.clv_tier,
        coalesce(scores.clv_tier in ('PLATINUM', 'GOLD'), false) as is_vip,
        actions.offer_name as next_best_offer,
        upsells.recommended_upsells,
        context.as_of_date
    from upcoming
    cross join context
    left join stated on upcoming.guest_id = stated.guest_id
    left join this_booking on upcoming.booking_id = this_booking.booking_id
    left join earlier on upcoming.booking_id = earlier.booking_id
    left join complaints on upcoming.guest_id = complaints.guest_id
    left join scores on upcoming.guest_id = scores.guest_id
    left join actions on upcoming.guest_id = actions.guest_id
    left join upsells on upcoming.booking_id = upsells.booking_id
)

select * from final
