{#
  One row per day from before the first snapshot to the last one: snapshot_index is the index
  of the first snapshot strictly after that day (the snapshot whose features first see an
  event of that day). Days after the last snapshot map to its index + 1. See macros/snapshots.sql.
#}
with
snapshots as (select * from {{ ref('int_snapshot_dates') }}),

context as (select * from {{ ref('int_run_context') }}),

digits as (
    select 0 as n union all select 1 union all select 2 union all select 3 union all select 4
    union all select 5 union all select 6 union all select 7 union all select 8 union all select 9
),

day_numbers as (
    select
        d1.n + 10 * d2.n + 100 * d3.n + 1000 * d4.n + 10000 * d5.n as day_number
    from digits as d1
    cross join digits as d2
    cross join digits as d3
    cross join digits as d4
    cross join digits as d5
),

bounds as (
    select
        least(
            coalesce(context.first_event_date, min(snapshots.snapshot_date)),
            {{ add_days('min(snapshots.snapshot_date)', -1) }}
        ) as first_date,
        max(snapshots.snapshot_date) as last_date
    from snapshots
    cross join context
    group by context.first_event_date
),

days as (
    select {{ add_days('bounds.first_date', 'day_numbers.day_number') }} as calendar_date
    from bounds
    cross join day_numbers
    where day_numbers.day_number <= {{ days_between('bounds.first_date', 'bounds.last_date') }}
),

boundaries as (
    select
        snapshot_index,
        snapshot_date,
        coalesce(
            lag(snapshot_date) over (order by snapshot_index), cast('0001-01-01' as date)
        ) as previous_snapshot_date
    from snapshots
),

final as (
    select
        days.calendar_date,
        coalesce(
            boundaries.snapshot_index, (select max(snapshots.snapshot_index) + 1 from snapshots)
        ) as snapshot_index
    from days
    left join boundaries
        on days.calendar_date >= boundaries.previous_snapshot_date
        and days.calendar_date < boundaries.snapshot_date
)

select * from final
