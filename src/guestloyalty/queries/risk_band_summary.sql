-- Guests, value and value at risk (CLV x churn probability) per churn risk band.
-- @param min_clv double = 0 : only guests predicted to be worth at least this much
-- @requires guest_scores
select
    churn_risk,
    count(*) as guests,
    round(count(*) * 1.0 / sum(count(*)) over (), 4) as guest_share,
    round(avg(churn_probability), 4) as mean_churn_probability,
    round(sum(clv_horizon), 2) as total_clv_horizon,
    round(sum(clv_horizon * churn_probability), 2) as clv_at_risk
from guest_scores
where clv_horizon >= $min_clv
group by churn_risk
order by case churn_risk when 'CRITICAL' then 1 when 'HIGH' then 2 when 'MEDIUM' then 3 else 4 end
