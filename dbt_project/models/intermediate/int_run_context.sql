{#
  One row: the run's as_of date, its horizon, and the span of the data.

  as_of is var as_of when the runner passes one; else the last day the data has normal volume:
  the latest day whose events, and whose events in the 30 days up to it, number at least var
  as_of_min_share (default 10 %) of the median over the days with events. A few stray rows
  dated after the bulk (a typo, a test row) never move it, unless the data are so sparse
  that a few rows are a normal day; rows_after_as_of counts the events the
  run leaves out because they are dated after as_of. Events are check-ins, bookings (the day
  booked: future arrival dates of open bookings are not events), engagement events, loyalty
  transactions and reviews.
#}
with
event_days as (
    select check_in_date as event_date from {{ ref('int_stays_unified') }}
    union all
    select cast(booked_at as date) from {{ ref('stg_bronze__bookings') }}
    union all
    select occurred_date from {{ ref('stg_bronze__engagement_events') }}
    union all
    select occurred_date from {{ ref('stg_bronze__loyalty_transactions') }}
    union all
    select submitted_date from {{ ref('stg_bronze__reviews') }}
),

daily as (
    select
        event_date,
        count(*) as events
    from event_days
    where event_date is not null
    group by event_date
),

recent_volume as (
    select
        daily.event_date,
        daily.events,
        sum(earlier.events) as events_30d
    from daily
    inner join daily as earlier
        on daily.event_date >= earlier.event_date
        and {{ add_days('daily.event_date', '-30') }} < earlier.event_date
    group by daily.event_date, daily.events
),

typical as (
    select
        percentile_cont(0.5) within group (order by events) as median_day_events,
        percentile_cont(0.5) within group (order by events_30d) as median_30d_events
    from recent_volume
),

volume_end as (
    select max(recent_volume.event_date) as volume_end_date
    from recent_volume
    cross join typical
    where recent_volume.events >= {{ var('as_of_min_share', 0.1) }} * typical.median_day_events
        and recent_volume.events_30d
            >= {{ var('as_of_min_share', 0.1) }} * typical.median_30d_events
),

data_span as (
    select min(event_date) as first_event_date, max(event_date) as last_event_date
    from daily
),

first_stay as (select min(check_in_date) as first_date from {{ ref('int_stays_unified') }}),

chosen as (
    select
        coalesce({{ as_of_var() }}, volume_end.volume_end_date) as as_of_date,
        data_span.first_event_date,
        data_span.last_event_date,
        first_stay.first_date as first_stay_date
    from data_span
    cross join volume_end
    cross join first_stay
),

final as (
    select
        chosen.as_of_date,
        {{ horizon_days() }} as horizon_days,
        chosen.first_stay_date,
        chosen.first_event_date,
        chosen.last_event_date,
        cast(coalesce(sum(daily.events), 0) as bigint) as rows_after_as_of
    from chosen
    left join daily on chosen.as_of_date < daily.event_date
    group by
        chosen.as_of_date,
        chosen.first_stay_date,
        chosen.first_event_date,
        chosen.last_event_date
)

select * from final
