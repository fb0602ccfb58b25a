-- Every scoring run's churn probability, risk, CLV and segment for one guest.
-- @param guest_id text = null : the guest; null picks the guest with the highest CLV
-- @requires guest_score_history, guest_scores
select
    history.guest_id,
    history.as_of_date,
    round(history.churn_probability, 4) as churn_probability,
    history.churn_risk,
    round(history.clv_horizon, 2) as clv_horizon,
    history.segment,
    history.model_version
from guest_score_history as history
where history.guest_id = coalesce(
    $guest_id, (select guest_id from guest_scores order by clv_horizon desc, guest_id limit 1)
)
order by history.as_of_date
