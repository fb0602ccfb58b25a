-- Segment profiles from guest_360: size, stays, revenue, recency, engagement, value and risk.
-- @param min_guests integer = 1 : hide segments with fewer guests than this
-- @requires guest_360
select
    segment,
    count(*) as guests,
    round(avg(lifetime_stays), 2) as mean_lifetime_stays,
    round(avg(lifetime_revenue), 2) as mean_lifetime_revenue,
    round(avg(days_since_last_stay), 1) as mean_days_since_last_stay,
    round(avg(email_open_rate_180d), 4) as mean_email_open_rate,
    round(avg(case when is_loyalty_member then 1.0 else 0.0 end), 4) as loyalty_member_share,
    round(avg(clv_horizon), 2) as mean_clv_horizon,
    round(avg(churn_probability), 4) as mean_churn_probability
from guest_360
where segment is not null
group by segment
having count(*) >= $min_guests
order by guests desc, segment
