with
checked as (select * from {{ ref('base_bronze__bookings') }}),

final as (
    select
        booking_id,
        guest_id,
        source_system,
        property_id,
        room_type,
        rate_plan,
        channel,
        status,
        purpose,
        currency,
        source_currency,
        adults,
        children,
        booking_changes,
        amount,
        booked_at,
        cancelled_at,
        arrival_date,
        departure_date,
        _batch_id
    from checked
    where failed_rule is null
)

select * from final
