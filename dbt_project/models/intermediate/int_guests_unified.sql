{#
  One row per guest known from any entity. A stays-only export has no guest profiles, so
  guests are collected from stays and bookings as well.
  Identity resolution across duplicate profiles comes later; for now guest_id is the source id.
#}
with
profiles as (select * from {{ ref('stg_bronze__guests') }}),

seen_in_stays as (
    select guest_id, min(check_in_date) as first_stay_date
    from {{ ref('stg_bronze__stays') }}
    group by guest_id
),

seen_in_bookings as (
    select guest_id, min(cast(booked_at as date)) as first_booking_date
    from {{ ref('stg_bronze__bookings') }}
    group by guest_id
),

all_ids as (
    select guest_id from profiles
    union
    select guest_id from seen_in_stays
    union
    select guest_id from seen_in_bookings
),

final as (
    select
        all_ids.guest_id,
        profiles.country_code,
        profiles.language,
        profiles.birth_date,
        profiles.has_marketing_consent,
        profiles.has_email_opt_in,
        profiles.is_loyalty_member,
        cast(profiles.created_at as date) as created_date,
        seen_in_stays.first_stay_date,
        seen_in_bookings.first_booking_date
    from all_ids
    left join profiles on all_ids.guest_id = profiles.guest_id
    left join seen_in_stays on all_ids.guest_id = seen_in_stays.guest_id
    left join seen_in_bookings on all_ids.guest_id = seen_in_bookings.guest_id
)

select * from final
