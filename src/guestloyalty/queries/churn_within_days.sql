-- Which guests will be lost within the next N days (days_until_lost), most valuable first.
-- @param days integer = 90 : lost within this many days of as_of
-- @param min_clv double = 0 : only guests predicted to be worth at least this much
-- @param limit_n integer = 500 : how many guests
-- @requires guest_scores
select
    guest_id,
    days_until_lost,
    round(churn_probability, 4) as churn_probability,
    churn_risk,
    round(clv_horizon, 2) as clv_horizon,
    clv_tier,
    segment,
    reason_1
from guest_scores
where days_until_lost <= $days
    and clv_horizon >= $min_clv
order by clv_horizon desc, guest_id
limit $limit_n
