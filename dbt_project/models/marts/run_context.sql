with
context as (select * from {{ ref('int_run_context') }}),

final as (
    select
        as_of_date,
        horizon_days,
        first_stay_date,
        last_event_date,
        rows_after_as_of,
        {{ add_days('as_of_date', 1) }} as current_snapshot_date
    from context
)

select * from final
