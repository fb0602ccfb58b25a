-- Predicted churn rate, share at high risk and value per segment.
-- @param min_guests integer = 1 : hide segments with fewer guests than this
-- @requires guest_scores
select
    segment,
    count(*) as guests,
    round(avg(churn_probability), 4) as predicted_churn_rate,
    round(avg(case when churn_risk in ('HIGH', 'CRITICAL') then 1.0 else 0.0 end), 4)
        as high_risk_share,
    round(avg(clv_horizon), 2) as mean_clv_horizon,
    round(sum(clv_horizon), 2) as total_clv_horizon
from guest_scores
group by segment
having count(*) >= $min_guests
order by guests desc, segment
