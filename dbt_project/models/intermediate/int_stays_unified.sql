{#
  Every stay silver knows: the stays (folios) export, and, for a source system that exports no
  stays at all (a PMS that sends reservations with a status, like Hotel Booking Demand), its
  checked-out bookings, each one stay: check-in = arrival, check-out = departure, nights
  between them, total and room revenue = the booking amount, no ancillary split. stay_origin
  says which ('stay' or 'checked_out_booking'); booking_id and _batch_id give the lineage back
  to the bronze row either way. A source system with a stays export never gets stays from its
  bookings, even when its stays are all quarantined: that would count a stay twice.
#}
with
stays as (select * from {{ ref('stg_bronze__stays') }}),

bookings as (select * from {{ ref('stg_bronze__bookings') }}),

systems_with_stays as (
    select distinct source_system from {{ ref('base_bronze__stays') }}
),

from_stays as (
    select
        stay_id,
        booking_id,
        guest_id,
        source_system,
        property_id,
        room_type,
        currency,
        source_currency,
        nights,
        room_revenue,
        fnb_revenue,
        spa_revenue,
        other_revenue,
        total_revenue,
        is_upgraded,
        had_service_failure,
        check_in_date,
        check_out_date,
        'stay' as stay_origin,
        _batch_id
    from stays
),

from_bookings as (
    select
        bookings.booking_id as stay_id,
        bookings.booking_id,
        bookings.guest_id,
        bookings.source_system,
        bookings.property_id,
        bookings.room_type,
        bookings.currency,
        bookings.source_currency,
        cast({{ days_between('bookings.arrival_date', 'bookings.departure_date') }} as integer)
            as nights,
        bookings.amount as room_revenue,
        cast(null as double) as fnb_revenue,
        cast(null as double) as spa_revenue,
        cast(null as double) as other_revenue,
        coalesce(bookings.amount, 0) as total_revenue,
        cast(null as boolean) as is_upgraded,
        cast(null as boolean) as had_service_failure,
        bookings.arrival_date as check_in_date,
        bookings.departure_date as check_out_date,
        'checked_out_booking' as stay_origin,
        bookings._batch_id
    from bookings
    left join systems_with_stays
        on bookings.source_system = systems_with_stays.source_system
    where bookings.status = 'checked_out'
        and systems_with_stays.source_system is null
),

final as (
    select * from from_stays
    union all
    select * from from_bookings
)

select * from final
