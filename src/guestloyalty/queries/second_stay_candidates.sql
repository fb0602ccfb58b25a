-- One-time guests whose first stay was recent: the best chance to win a second stay.
-- @param within_days integer = 180 : first (and only) stay at most this many days before as_of
-- @param limit_n integer = 500 : how many guests
-- @requires guest_360
select
    guest_id,
    first_stay_date,
    days_since_last_stay,
    round(lifetime_revenue, 2) as lifetime_revenue,
    round(churn_probability, 4) as churn_probability,
    round(clv_horizon, 2) as clv_horizon,
    has_marketing_consent
from guest_360
where lifetime_stays = 1
    and days_since_last_stay <= $within_days
order by clv_horizon desc nulls last, guest_id
limit $limit_n
