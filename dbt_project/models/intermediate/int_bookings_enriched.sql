{#
  Bookings on the resolved guest_id with what analysts and features need: lead time, length
  of stay, weekend share, party type, cancellation and no-show flags, channel group, and the
  dates on which each fact became known (a cancellation is known when it was cancelled, a
  no-show on the arrival date; a booking without booked_at is known at its arrival).
#}
with
bookings as (select * from {{ ref('stg_bronze__bookings') }}),

identity_map as (select * from {{ ref('int_guest_identity_map') }}),

channels as (select * from {{ ref('channels') }}),

properties as (select * from {{ ref('properties') }}),

resolved as (
    select
        bookings.*,
        identity_map.guest_id as resolved_guest_id,
        channels.channel_group,
        channels.is_direct,
        properties.property_kind,
        {{ days_between('arrival_date', 'departure_date') }} as length_of_stay,
        cast(bookings.booked_at as date) as booked_date
    from bookings
    inner join identity_map
        on bookings.source_system = identity_map.source_system
        and bookings.guest_id = identity_map.source_guest_id
    left join channels on bookings.channel = channels.channel
    left join properties on bookings.property_id = properties.property_id
),

final as (
    select
        booking_id,
        source_system,
        guest_id as source_guest_id,
        resolved_guest_id as guest_id,
        property_id,
        property_kind,
        room_type,
        rate_plan,
        channel,
        channel_group,
        status,
        purpose,
        case
            when coalesce(children, 0) > 0 then 'family'
            when adults >= 3 then 'group'
            when adults = 2 then 'couple'
            when adults = 1 then 'solo'
            else 'unknown'
        end as party_type,
        currency,
        adults,
        children,
        adults + coalesce(children, 0) as party_size,
        booking_changes,
        length_of_stay,
        {{ days_between('booked_date', 'arrival_date') }} as lead_days,
        cast({{ weekend_nights('arrival_date', 'length_of_stay') }} as integer) as weekend_nights,
        amount,
        is_direct,
        status = 'cancelled' as is_cancelled,
        status = 'no_show' as is_no_show,
        booked_at,
        cancelled_at,
        booked_date,
        coalesce(booked_date, arrival_date) as known_date,
        case
            when status = 'cancelled' then coalesce(cast(cancelled_at as date), arrival_date)
        end as cancellation_known_date,
        arrival_date,
        departure_date
    from resolved
)

select * from final
