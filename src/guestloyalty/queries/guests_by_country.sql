-- Guests, predicted churn and value by country of residence.
-- @param min_guests integer = 10 : hide countries with fewer guests than this
-- @requires guest_360
select
    coalesce(country_code, 'unknown') as country_code,
    count(*) as guests,
    round(avg(churn_probability), 4) as mean_churn_probability,
    round(avg(clv_horizon), 2) as mean_clv_horizon,
    round(sum(clv_horizon), 2) as total_clv_horizon,
    round(avg(case when has_marketing_consent then 1.0 else 0.0 end), 4) as consent_share
from guest_360
where lifetime_stays > 0
group by 1
having count(*) >= $min_guests
order by total_clv_horizon desc nulls last, country_code
