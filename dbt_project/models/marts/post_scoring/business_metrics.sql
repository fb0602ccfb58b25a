{#
  Business metrics by property and calendar month, up to as_of: stays, room nights, revenue,
  ADR, repeat-guest share, cancellation and no-show rates (of bookings arriving that month),
  active and churned guests, and the mean predicted 12-month CLV of the month's guests.
  churned_guests counts the month's guests whose stay was followed by no check-in anywhere
  within the horizon; it is null for months whose horizon is not yet fully observed.
#}
with
context as (select * from {{ ref('run_context') }}),

stays as (
    select
        stays.*,
        lead(stays.check_in_date) over (
            partition by stays.guest_id order by stays.check_in_date, stays.stay_id
        ) as next_check_in_date
    from {{ ref('int_stays_enriched') }} as stays
    cross join context
    where stays.check_in_date <= context.as_of_date
),

bookings as (
    select bookings.*
    from {{ ref('int_bookings_enriched') }} as bookings
    cross join context
    where bookings.arrival_date <= context.as_of_date
),

scores as (select * from {{ source('scoring', 'guest_scores') }}),

stays_by_month as (
    select
        coalesce(stays.property_id, 'unknown') as property_id,
        {{ dbt.date_trunc('month', 'stays.check_in_date') }} as month_start,
        count(*) as stays,
        sum(coalesce(stays.nights, 0)) as room_nights,
        {{ guestloyalty.round_to("sum(stays.total_revenue)", 2) }} as revenue,
        {{ guestloyalty.round_to("sum(case when stays.nights > 0 then stays.room_revenue end)", 2) }}
            as rated_room_revenue,
        sum(case when stays.nights > 0 and stays.room_revenue is not null
            then stays.nights end) as rated_nights,
        sum(case when stays.stay_sequence > 1 then 1 else 0 end) as repeat_stays,
        count(distinct stays.guest_id) as active_guests,
        count(distinct case
            when stays.next_check_in_date is null
                or stays.next_check_in_date
                    >= {{ add_days('stays.check_in_date', 'context.horizon_days') }}
            then stays.guest_id
        end) as guests_without_return,
        avg(scores.clv_horizon) as avg_clv_horizon
    from stays
    cross join context
    left join scores on stays.guest_id = scores.guest_id
    group by
        coalesce(stays.property_id, 'unknown'),
        {{ dbt.date_trunc('month', 'stays.check_in_date') }}
),

bookings_by_month as (
    select
        coalesce(property_id, 'unknown') as property_id,
        {{ dbt.date_trunc('month', 'arrival_date') }} as month_start,
        count(*) as bookings,
        sum(case when is_cancelled then 1 else 0 end) as cancellations,
        sum(case when is_no_show then 1 else 0 end) as no_shows
    from bookings
    group by coalesce(property_id, 'unknown'), {{ dbt.date_trunc('month', 'arrival_date') }}
),

months as (
    select property_id, month_start from stays_by_month
    union
    select property_id, month_start from bookings_by_month
),

final as (
    select
        months.property_id,
        properties.property_kind,
        cast(months.month_start as date) as month_start,
        coalesce(stays_by_month.stays, 0) as stays,
        coalesce(stays_by_month.room_nights, 0) as room_nights,
        coalesce(stays_by_month.revenue, 0) as revenue,
        {{ guestloyalty.round_to("stays_by_month.rated_room_revenue / nullif(stays_by_month.rated_nights, 0)", 2) }}
            as average_daily_rate,
        stays_by_month.repeat_stays * 1.0 / nullif(stays_by_month.stays, 0)
            as repeat_guest_share,
        coalesce(bookings_by_month.bookings, 0) as bookings,
        bookings_by_month.cancellations * 1.0 / nullif(bookings_by_month.bookings, 0)
            as cancellation_rate,
        bookings_by_month.no_shows * 1.0 / nullif(bookings_by_month.bookings, 0)
            as no_show_rate,
        coalesce(stays_by_month.active_guests, 0) as active_guests,
        case
            when {{ add_days(add_months('months.month_start', 1), 'context.horizon_days') }}
                <= {{ add_days('context.as_of_date', 1) }}
                then coalesce(stays_by_month.guests_without_return, 0)
        end as churned_guests,
        {{ guestloyalty.round_to("stays_by_month.avg_clv_horizon", 2) }} as avg_clv_horizon,
        {{ guestloyalty.round_to("stays_by_month.avg_clv_horizon", 2) }} as avg_clv_12m
    from months
    cross join context
    left join stays_by_month
        on months.property_id = stays_by_month.property_id
        and months.month_start = stays_by_month.month_start
    left join bookings_by_month
        on months.property_id = bookings_by_month.property_id
        and months.month_start = bookings_by_month.month_start
    left join {{ ref('properties') }} as properties on months.property_id = properties.property_id
)

select * from final
