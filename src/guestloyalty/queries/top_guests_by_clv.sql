-- Top guests by predicted value over the horizon (clv_horizon), with their churn risk.
-- @param limit_n integer = 100 : how many guests
-- @param min_stays integer = 1 : only guests with at least this many stays before as_of
-- @requires guest_scores, guest_360
select
    scores.guest_id,
    round(scores.clv_horizon, 2) as clv_horizon,
    round(scores.churn_probability, 4) as churn_probability,
    scores.churn_risk,
    scores.lifecycle_stage,
    scores.segment,
    profile.lifetime_stays,
    round(profile.lifetime_revenue, 2) as lifetime_revenue,
    profile.days_since_last_stay
from guest_scores as scores
inner join guest_360 as profile on scores.guest_id = profile.guest_id
where profile.lifetime_stays >= $min_stays
order by scores.clv_horizon desc, scores.guest_id
limit $limit_n
