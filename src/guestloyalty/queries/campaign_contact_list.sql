-- A contactable campaign list: guests whose next best action is an offer, on a permitted channel.
-- @param offer_id text = null : only this offer (see offer_catalog); null for every offer
-- @param channel text = null : only this channel (email, sms, push); null for any
-- @param limit_n integer = 5000 : how many guests
-- @requires next_best_action
select
    guest_id,
    channel,
    offer_id,
    offer_name,
    timing,
    price_multiplier,
    journey_stage,
    churn_risk,
    clv_tier,
    rule_id
from next_best_action
where channel in ('email', 'sms', 'push')
    and ($offer_id is null or offer_id = $offer_id)
    and ($channel is null or channel = lower($channel))
order by clv_horizon desc, guest_id
limit $limit_n
