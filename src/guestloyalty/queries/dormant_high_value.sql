-- Guests who spent a lot but have not stayed for a long time: win-back candidates by history.
-- @param min_days_away integer = 365 : at least this many days since the last stay
-- @param min_lifetime_revenue double = 1000 : at least this much spent so far
-- @param limit_n integer = 500 : how many guests
-- @requires guest_360
select
    guest_id,
    days_since_last_stay,
    lifetime_stays,
    round(lifetime_revenue, 2) as lifetime_revenue,
    round(churn_probability, 4) as churn_probability,
    round(clv_horizon, 2) as clv_horizon,
    segment,
    has_marketing_consent
from guest_360
where days_since_last_stay >= $min_days_away
    and lifetime_revenue >= $min_lifetime_revenue
order by lifetime_revenue desc, guest_id
limit $limit_n
