-- Next best actions by journey stage, offer and channel: guests and predicted value.
-- @param journey_stage text = null : only this stage (pre_arrival, in_stay, post_stay, dormant)
-- @requires next_best_action
select
    journey_stage,
    offer_name,
    channel,
    count(*) as guests,
    round(sum(clv_horizon), 2) as total_clv_horizon,
    round(avg(price_multiplier), 3) as mean_price_multiplier
from next_best_action
where $journey_stage is null or journey_stage = $journey_stage
group by journey_stage, offer_name, channel
order by journey_stage, guests desc, offer_name, channel
