{#
  Special requests on the resolved guest_id (the request's own guest id, else its booking's
  guest), dated by created_at, else by when the booking became known. Requests whose guest
  cannot be found are kept with a null guest_id.
#}
with
requests as (select * from {{ ref('stg_bronze__special_requests') }}),

identity_map as (select * from {{ ref('int_guest_identity_map') }}),

bookings as (
    select
        booking_id,
        guest_id,
        known_date,
        row_number() over (partition by booking_id order by source_system) as booking_rank
    from {{ ref('int_bookings_enriched') }}
),

final as (
    select
        requests.request_id,
        requests.source_system,
        requests.booking_id,
        coalesce(identity_map.guest_id, bookings.guest_id) as guest_id,
        requests.request_type,
        requests.request_type = 'complaint' as is_complaint,
        requests.created_at,
        coalesce(cast(requests.created_at as date), bookings.known_date) as known_date
    from requests
    left join identity_map
        on requests.source_system = identity_map.source_system
        and requests.guest_id = identity_map.source_guest_id
    left join bookings
        on requests.booking_id = bookings.booking_id
        and bookings.booking_rank = 1
)

select * from final
