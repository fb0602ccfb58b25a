-- At-risk guests (slipping, valuable lapsed) we may contact, most value at risk first, with the action.
-- @param min_value_at_risk double = 0 : horizon revenue at stake (value_at_risk) at least this much
-- @param limit_n integer = 500 : how many guests
-- @requires at_risk_guests
select
    guest_id,
    lifecycle_stage,
    expected_next_stay_date,
    days_overdue,
    value_at_risk,
    churn_risk,
    round(clv_horizon, 2) as clv_horizon,
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
order by at_risk_rank
limit $limit_n
