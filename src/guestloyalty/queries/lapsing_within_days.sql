-- Guests who become lapsed within the next N days unless they stay (lapses_on), most valuable first.
-- @param days integer = 90 : lapse within this many days of as_of
-- @param min_clv double = 0 : only guests predicted to be worth at least this much
-- @param limit_n integer = 500 : how many guests
-- @requires guest_scores
select
    guest_id,
    lifecycle_stage,
    lapses_on,
    expected_next_stay_date,
    days_overdue,
    value_at_risk,
    round(clv_horizon, 2) as clv_horizon,
    clv_tier,
    segment,
    reason_1
from guest_scores
where lifecycle_stage in ('new', 'active', 'slipping', 'reactivated')
    and lapses_on > as_of_date
    and lapses_on <= as_of_date + cast($days as integer)
    and clv_horizon >= $min_clv
order by value_at_risk desc, guest_id
limit $limit_n
