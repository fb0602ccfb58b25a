{#
  The snapshot dates of this run. A snapshot date D is an exclusive cut-off: its features use
  events dated before D and its labels the window [D, D + horizon). The current snapshot is
  as_of + 1 day (every event up to and including as_of); labeled snapshots are month starts
  whose whole label window lies on or before as_of.
#}
with
context as (select * from {{ ref('int_run_context') }}),

digits as (
    select 0 as n union all select 1 union all select 2 union all select 3 union all select 4
    union all select 5 union all select 6 union all select 7 union all select 8 union all select 9
),

steps as (
    select tens.n * 10 + ones.n as step
    from digits as tens
    cross join digits as ones
),

latest_labeled as (
    select
        {{ dbt.date_trunc('month', add_days('as_of_date', '1 - horizon_days')) }} as snapshot_date
    from context
),

labeled as (
    select
        {{ add_months('latest_labeled.snapshot_date',
                      '-1 * steps.step * ' ~ (var('snapshot_interval_months', 1) | int)) }}
            as snapshot_date,
        true as is_labeled
    from latest_labeled
    cross join steps
    where steps.step < {{ var('snapshot_count', 12) | int }}
),

current_snapshot as (
    select {{ add_days('as_of_date', 1) }} as snapshot_date, false as is_labeled
    from context
),

all_snapshots as (
    select cast(labeled.snapshot_date as date) as snapshot_date, labeled.is_labeled
    from labeled
    cross join context
    where labeled.snapshot_date > context.first_stay_date
    union all
    select snapshot_date, is_labeled from current_snapshot
),

final as (
    select
        snapshot_date,
        is_labeled,
        row_number() over (order by snapshot_date) as snapshot_index
    from all_snapshots
)

select * from final
