-- Group-wide stays, room nights, revenue, ADR and repeat-guest share per month.
-- @param from_month date = null : months starting on or after this date; null for all
-- @requires business_metrics
select
    month_start,
    sum(stays) as stays,
    sum(room_nights) as room_nights,
    round(sum(revenue), 2) as revenue,
    round(sum(revenue) / nullif(sum(room_nights), 0), 2) as revenue_per_room_night,
    round(sum(repeat_guest_share * stays) / nullif(sum(stays), 0), 4) as repeat_guest_share,
    sum(active_guests) as active_guests
from business_metrics
where $from_month is null or month_start >= $from_month
group by month_start
order by month_start
