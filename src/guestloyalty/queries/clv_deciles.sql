-- Guests split into deciles of predicted CLV: size, value range, mean churn probability.
-- @param buckets integer = 10 : how many equal-sized groups (10 = deciles)
-- @requires guest_scores
with
ranked as (
    select *, ntile($buckets) over (order by clv_horizon desc, guest_id) as clv_bucket
    from guest_scores
)

select
    clv_bucket,
    count(*) as guests,
    round(min(clv_horizon), 2) as min_clv_horizon,
    round(max(clv_horizon), 2) as max_clv_horizon,
    round(sum(clv_horizon), 2) as total_clv_horizon,
    round(sum(clv_horizon) / sum(sum(clv_horizon)) over (), 4) as clv_share,
    round(avg(churn_probability), 4) as mean_churn_probability
from ranked
group by clv_bucket
order by clv_bucket
