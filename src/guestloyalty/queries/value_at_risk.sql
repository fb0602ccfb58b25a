-- Guests with the most value at risk: predicted CLV times churn probability.
-- @param limit_n integer = 100 : how many guests
-- @param risk text = null : only this churn risk band (LOW, MEDIUM, HIGH, CRITICAL); null for all
-- @requires guest_scores
select
    guest_id,
    round(clv_horizon * churn_probability, 2) as clv_at_risk,
    round(clv_horizon, 2) as clv_horizon,
    round(churn_probability, 4) as churn_probability,
    churn_risk,
    segment
from guest_scores
where $risk is null or churn_risk = upper($risk)
order by clv_horizon * churn_probability desc, guest_id
limit $limit_n
