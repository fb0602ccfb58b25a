{#
  Processed stays on the resolved guest_id: nights, revenue split (room vs ancillary, and the
  ancillary split as received: F&B, spa, other; null when the export has none), ADR,
  weekend nights, upgrades, service failures, the booking's channel, and the stay's place in
  the guest's history (sequence number, days since the previous stay).
#}
with
stays as (select * from {{ ref('int_stays_unified') }}),

identity_map as (select * from {{ ref('int_guest_identity_map') }}),

bookings as (
    select
        booking_id,
        channel,
        purpose,
        row_number() over (partition by booking_id order by source_system) as booking_rank
    from {{ ref('stg_bronze__bookings') }}
),

channels as (select * from {{ ref('channels') }}),

properties as (select * from {{ ref('properties') }}),

resolved as (
    select
        stays.stay_id,
        stays.source_system,
        stays.guest_id as source_guest_id,
        identity_map.guest_id,
        stays.booking_id,
        stays.property_id,
        properties.property_kind,
        stays.room_type,
        bookings.channel,
        channels.channel_group,
        channels.is_direct,
        bookings.purpose,
        stays.currency,
        stays.nights,
        coalesce(stays.fnb_revenue, 0) + coalesce(stays.spa_revenue, 0)
            + coalesce(stays.other_revenue, 0) as ancillary_revenue,
        stays.fnb_revenue,
        stays.spa_revenue,
        stays.other_revenue,
        coalesce(
            stays.room_revenue,
            stays.total_revenue - coalesce(stays.fnb_revenue, 0)
                - coalesce(stays.spa_revenue, 0) - coalesce(stays.other_revenue, 0)
        ) as room_revenue,
        stays.total_revenue,
        coalesce(stays.is_upgraded, false) as is_upgraded,
        coalesce(stays.had_service_failure, false) as had_service_failure,
        stays.check_in_date,
        stays.check_out_date,
        stays.stay_origin
    from stays
    inner join identity_map
        on stays.source_system = identity_map.source_system
        and stays.guest_id = identity_map.source_guest_id
    left join bookings on stays.booking_id = bookings.booking_id and bookings.booking_rank = 1
    left join channels on bookings.channel = channels.channel
    left join properties on stays.property_id = properties.property_id
),

final as (
    select
        stay_id,
        source_system,
        source_guest_id,
        guest_id,
        booking_id,
        property_id,
        property_kind,
        room_type,
        channel,
        channel_group,
        purpose,
        currency,
        nights,
        cast({{ weekend_nights('check_in_date', 'nights') }} as integer) as weekend_nights,
        room_revenue,
        ancillary_revenue,
        fnb_revenue,
        spa_revenue,
        other_revenue,
        total_revenue,
        case when nights > 0 then room_revenue / nights end as average_daily_rate,
        row_number() over (
            partition by guest_id order by check_in_date, stay_id
        ) as stay_sequence,
        {{ days_between(
            'lag(check_in_date) over (partition by guest_id order by check_in_date, stay_id)',
            'check_in_date') }} as days_since_previous_stay,
        is_direct,
        is_upgraded,
        had_service_failure,
        check_in_date,
        check_out_date,
        stay_origin
    from resolved
)

select * from final
