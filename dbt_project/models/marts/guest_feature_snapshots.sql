{#
  Guests x snapshot dates: the only table the models read.
  Features use events dated strictly before snapshot_date; labels use the window
  [snapshot_date, snapshot_date + horizon), filled only on labeled snapshots (whose whole
  window lies on or before as_of). A guest enters a snapshot once they have stayed before it.
#}
with
snapshots as (select * from {{ ref('int_snapshot_dates') }}),

context as (select * from {{ ref('int_run_context') }}),

stays as (select * from {{ ref('stg_bronze__stays') }}),

bookings as (select * from {{ ref('stg_bronze__bookings') }}),

events as (select * from {{ ref('stg_bronze__engagement_events') }}),

guests as (select * from {{ ref('int_guests_unified') }}),

stay_history as (
    select
        stays.guest_id,
        snapshots.snapshot_date,
        count(*) as stays_count,
        round(sum(stays.total_revenue), 2) as lifetime_revenue,
        round(sum(stays.total_revenue), 2) / count(*) as avg_stay_revenue,
        avg(stays.nights) as avg_nights,
        round(sum(coalesce(stays.fnb_revenue, 0) + coalesce(stays.spa_revenue, 0)), 2)
            / nullif(round(sum(stays.total_revenue), 2), 0) as ancillary_share,
        min(stays.check_in_date) as first_stay_date,
        max(stays.check_in_date) as last_stay_date,
        sum(case when stays.check_in_date >= {{ add_days('snapshot_date', -365) }}
            then 1 else 0 end) as stays_last_365d,
        round(sum(case when stays.check_in_date >= {{ add_days('snapshot_date', -365) }}
            then stays.total_revenue else 0 end), 2) as revenue_last_365d,
        count(distinct stays.property_id) as properties_visited
    from stays
    inner join snapshots on stays.check_in_date < snapshots.snapshot_date
    group by stays.guest_id, snapshots.snapshot_date
),

booking_history as (
    select
        bookings.guest_id,
        snapshots.snapshot_date,
        count(*) as bookings_count,
        sum(case when bookings.status = 'cancelled'
            and coalesce(cast(bookings.cancelled_at as date), bookings.arrival_date)
                < snapshots.snapshot_date
            then 1 else 0 end) as cancellations_count,
        avg({{ days_between('cast(bookings.booked_at as date)', 'bookings.arrival_date') }})
            as avg_lead_days,
        sum(case when bookings.arrival_date >= snapshots.snapshot_date
            and not (bookings.status = 'cancelled'
                and coalesce(cast(bookings.cancelled_at as date), bookings.arrival_date)
                    < snapshots.snapshot_date)
            then 1 else 0 end) as upcoming_bookings
    from bookings
    inner join snapshots on cast(bookings.booked_at as date) < snapshots.snapshot_date
    group by bookings.guest_id, snapshots.snapshot_date
),

event_history as (
    select
        events.guest_id,
        snapshots.snapshot_date,
        sum(case when events.event_type = 'email_send'
            and events.occurred_date >= {{ add_days('snapshot_date', -180) }}
            then 1 else 0 end) as email_sends_180d,
        sum(case when events.event_type = 'email_open'
            and events.occurred_date >= {{ add_days('snapshot_date', -180) }}
            then 1 else 0 end) as email_opens_180d,
        sum(case when events.event_type in ('app_session', 'web_session')
            and events.occurred_date >= {{ add_days('snapshot_date', -90) }}
            then 1 else 0 end) as sessions_90d,
        max(case when events.event_type in ('email_open', 'email_click', 'app_session',
            'web_session') then events.occurred_date end) as last_engagement_date
    from events
    inner join snapshots on events.occurred_date < snapshots.snapshot_date
    group by events.guest_id, snapshots.snapshot_date
),

future_stays as (
    select
        stays.guest_id,
        snapshots.snapshot_date,
        count(*) as future_stays,
        round(sum(stays.total_revenue), 2) as future_revenue
    from snapshots
    cross join context
    inner join stays
        on stays.check_in_date >= snapshots.snapshot_date
        and stays.check_in_date < {{ add_days('snapshots.snapshot_date', 'context.horizon_days') }}
    where snapshots.is_labeled
    group by stays.guest_id, snapshots.snapshot_date
),

final as (
    select
        stay_history.guest_id,
        stay_history.snapshot_date,
        snapshots.is_labeled,
        stay_history.stays_count,
        stay_history.lifetime_revenue,
        stay_history.avg_stay_revenue,
        stay_history.avg_nights,
        stay_history.ancillary_share,
        {{ days_between('stay_history.last_stay_date', 'stay_history.snapshot_date') }}
            as days_since_last_stay,
        {{ days_between('stay_history.first_stay_date', 'stay_history.snapshot_date') }}
            as days_since_first_stay,
        case when stay_history.stays_count > 1
            then {{ days_between('stay_history.first_stay_date', 'stay_history.last_stay_date') }}
                / (stay_history.stays_count - 1.0)
        end as mean_days_between_stays,
        stay_history.stays_last_365d,
        stay_history.revenue_last_365d,
        stay_history.properties_visited,
        coalesce(booking_history.bookings_count, 0) as bookings_count,
        coalesce(booking_history.cancellations_count, 0) as cancellations_count,
        booking_history.avg_lead_days,
        coalesce(booking_history.upcoming_bookings, 0) as upcoming_bookings,
        coalesce(event_history.email_sends_180d, 0) as email_sends_180d,
        coalesce(event_history.email_opens_180d, 0) as email_opens_180d,
        event_history.email_opens_180d * 1.0
            / nullif(event_history.email_sends_180d, 0) as email_open_rate_180d,
        coalesce(event_history.sessions_90d, 0) as sessions_90d,
        {{ days_between('event_history.last_engagement_date', 'stay_history.snapshot_date') }}
            as days_since_last_engagement,
        case when guests.is_loyalty_member then 1 else 0 end as is_loyalty_member,
        case
            when snapshots.is_labeled
                then case when coalesce(future_stays.future_stays, 0) = 0 then 1 else 0 end
        end as churned,
        case
            when snapshots.is_labeled then coalesce(future_stays.future_revenue, 0)
        end as future_revenue
    from stay_history
    inner join snapshots on stay_history.snapshot_date = snapshots.snapshot_date
    left join booking_history
        on stay_history.guest_id = booking_history.guest_id
        and stay_history.snapshot_date = booking_history.snapshot_date
    left join event_history
        on stay_history.guest_id = event_history.guest_id
        and stay_history.snapshot_date = event_history.snapshot_date
    left join future_stays
        on stay_history.guest_id = future_stays.guest_id
        and stay_history.snapshot_date = future_stays.snapshot_date
    left join guests on stay_history.guest_id = guests.guest_id
)

select * from final
