{#
  One row: the run's as_of date (var, else the latest event date in the data), its horizon,
  and the span of the data. Future arrival dates of open bookings are not events.
#}
with
event_dates as (
    select min(check_in_date) as first_date, max(check_in_date) as last_date
    from {{ ref('stg_bronze__stays') }}
    union all
    select
        min(coalesce(cast(booked_at as date), arrival_date)) as first_date,
        max(cast(booked_at as date)) as last_date
    from {{ ref('stg_bronze__bookings') }}
    union all
    select min(occurred_date) as first_date, max(occurred_date) as last_date
    from {{ ref('stg_bronze__engagement_events') }}
    union all
    select min(occurred_date) as first_date, max(occurred_date) as last_date
    from {{ ref('stg_bronze__loyalty_transactions') }}
    union all
    select min(submitted_date) as first_date, max(submitted_date) as last_date
    from {{ ref('stg_bronze__reviews') }}
),

data_span as (
    select min(first_date) as first_event_date, max(last_date) as last_event_date
    from event_dates
),

first_stay as (select min(check_in_date) as first_date from {{ ref('stg_bronze__stays') }}),

final as (
    select
        coalesce({{ as_of_var() }}, data_span.last_event_date) as as_of_date,
        {{ horizon_days() }} as horizon_days,
        first_stay.first_date as first_stay_date,
        data_span.first_event_date,
        data_span.last_event_date
    from data_span
    cross join first_stay
)

select * from final
