-- Who to contact for the win-back campaign: lapsed guests (and other win-back offers) we may contact.
-- @param channel text = null : only this channel (email, sms, push); null for any permitted one
-- @param min_clv double = 0 : only guests predicted to be worth at least this much
-- @param limit_n integer = 1000 : how many guests
-- @requires next_best_action
select
    guest_id,
    channel,
    offer_id,
    offer_name,
    timing,
    price_multiplier,
    round(clv_horizon, 2) as clv_horizon,
    clv_tier,
    churn_risk,
    lifecycle_stage,
    segment
from next_best_action
where (lifecycle_stage = 'lapsed' or offer_id = 'winback_rate')
    and channel in ('email', 'sms', 'push')
    and ($channel is null or channel = lower($channel))
    and clv_horizon >= $min_clv
order by clv_horizon desc, guest_id
limit $limit_n
