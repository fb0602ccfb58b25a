-- Guests whose churn risk band changed between the two latest scored as_of dates.
-- @param to_risk text = null : only guests who moved into this band; null for every move
-- @param limit_n integer = 500 : how many guests
-- @requires guest_score_history
with
dates as (
    select distinct as_of_date from guest_score_history order by as_of_date desc limit 2
),

bounds as (select min(as_of_date) as previous_date, max(as_of_date) as latest_date from dates),

latest as (
    select history.*
    from guest_score_history as history
    inner join bounds on history.as_of_date = bounds.latest_date
),

previous as (
    select history.*
    from guest_score_history as history
    inner join bounds on history.as_of_date = bounds.previous_date
    where bounds.previous_date < bounds.latest_date
)

select
    latest.guest_id,
    previous.churn_risk as previous_risk,
    latest.churn_risk as latest_risk,
    round(latest.churn_probability - previous.churn_probability, 4) as probability_change,
    round(latest.clv_horizon, 2) as clv_horizon,
    previous.as_of_date as previous_as_of,
    latest.as_of_date as latest_as_of
from latest
inner join previous on latest.guest_id = previous.guest_id
where latest.churn_risk <> previous.churn_risk
    and ($to_risk is null or latest.churn_risk = upper($to_risk))
order by latest.clv_horizon desc, latest.guest_id
limit $limit_n
