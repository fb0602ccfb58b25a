-- Loyalty members against everyone else: guests, stays, churn and value.
-- @param min_stays integer = 1 : only guests with at least this many stays
-- @requires guest_360
select
    coalesce(is_loyalty_member, false) as is_loyalty_member,
    count(*) as guests,
    round(avg(lifetime_stays), 2) as mean_lifetime_stays,
    round(avg(lifetime_revenue), 2) as mean_lifetime_revenue,
    round(avg(churn_probability), 4) as mean_churn_probability,
    round(avg(clv_horizon), 2) as mean_clv_horizon
from guest_360
where lifetime_stays >= $min_stays
group by 1
order by 1 desc
