-- Guests with an upcoming booking, most valuable first (who to welcome personally).
-- @param min_clv double = 0 : only guests predicted to be worth at least this much
-- @param limit_n integer = 200 : how many guests
-- @requires guest_360
select
    guest_id,
    upcoming_bookings,
    round(clv_horizon, 2) as clv_horizon,
    churn_risk,
    segment,
    lifetime_stays,
    round(lifetime_revenue, 2) as lifetime_revenue
from guest_360
where upcoming_bookings > 0
    and coalesce(clv_horizon, 0) >= $min_clv
order by clv_horizon desc nulls last, guest_id
limit $limit_n
