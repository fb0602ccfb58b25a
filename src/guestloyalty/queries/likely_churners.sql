-- Guests likely to be lost soon: churn probability at or above a threshold, most valuable first.
-- @param min_probability double = 0.7 : churn probability at or above which a guest is listed
-- @param min_clv double = 0 : only guests predicted to be worth at least this much
-- @param limit_n integer = 500 : how many guests
-- @requires guest_scores, guest_360
select
    scores.guest_id,
    round(scores.churn_probability, 4) as churn_probability,
    scores.churn_risk,
    scores.lifecycle_stage,
    round(scores.clv_horizon, 2) as clv_horizon,
    scores.segment,
    profile.days_since_last_stay,
    profile.has_marketing_consent
from guest_scores as scores
inner join guest_360 as profile on scores.guest_id = profile.guest_id
where scores.churn_probability >= $min_probability
    and scores.clv_horizon >= $min_clv
order by scores.clv_horizon desc, scores.guest_id
limit $limit_n
