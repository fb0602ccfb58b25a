-- At-risk guests (HIGH / CRITICAL) we may contact, most value at risk first, with the action.
-- @param min_value_at_risk double = 0 : CLV x churn probability at least this much
-- @param limit_n integer = 500 : how many guests
-- @requires at_risk_guests
select
    guest_id,
    churn_risk,
    round(churn_probability, 4) as churn_probability,
    days_until_lost,
    round(clv_horizon, 2) as clv_horizon,
    value_at_risk,
    max_retention_spend,
    offer_name,
    channel,
    timing,
    price_multiplier,
    reason_1
from at_risk_guests
where may_contact
    and channel in ('email', 'sms', 'push')
    and value_at_risk >= $min_value_at_risk
order by value_at_risk desc, guest_id
limit $limit_n
