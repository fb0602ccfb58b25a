-- campaign_attribution: per stay and model the weights sum to 1, so the attributed revenue
-- adds up to the revenue of the stays attributed (nothing created or lost by a model), up
-- to the rounding of weights (9 decimals) and revenue (6).
with
per_stay as (
    select
        stay_id,
        attribution_model,
        sum(weight) as weights,
        sum(attributed_revenue) as attributed,
        max(stay_revenue) as revenue
    from {{ ref('campaign_attribution') }}
    group by stay_id, attribution_model
)

select *
from per_stay
where abs(weights - 1) > 1e-6 or abs(attributed - revenue) > 0.005
