{# One row: the run's as_of date (var, else the latest event date) and its horizon. #}
with
stays as (select max(check_in_date) as last_date from {{ ref('stg_bronze__stays') }}),

bookings as (
    select max(cast(booked_at as date)) as last_date from {{ ref('stg_bronze__bookings') }}
),

events as (select max(occurred_date) as last_date from {{ ref('stg_bronze__engagement_events') }}),

first_stay as (select min(check_in_date) as first_date from {{ ref('stg_bronze__stays') }}),

final as (
    select
        coalesce(
            {{ as_of_var() }},
            greatest(
                coalesce(stays.last_date, cast('1900-01-01' as date)),
                coalesce(bookings.last_date, cast('1900-01-01' as date)),
                coalesce(events.last_date, cast('1900-01-01' as date))
            )
        ) as as_of_date,
        {{ horizon_days() }} as horizon_days,
        first_stay.first_date as first_stay_date
    from stays
    cross join bookings
    cross join events
    cross join first_stay
)

select * from final
