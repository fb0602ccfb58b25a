-- Repeat-guest share by property and month, with stays, revenue and ADR.
-- @param property_id text = null : only this property; null for all
-- @param from_month date = null : months starting on or after this date; null for all
-- @requires business_metrics
select
    property_id,
    month_start,
    stays,
    round(repeat_guest_share, 4) as repeat_guest_share,
    round(revenue, 2) as revenue,
    average_daily_rate,
    round(cancellation_rate, 4) as cancellation_rate
from business_metrics
where ($property_id is null or property_id = $property_id)
    and ($from_month is null or month_start >= $from_month)
order by property_id, month_start
