-- Guests, value and value at risk per lifecycle stage (prospect: no stay yet).
-- @param segment text = null : only this segment; null for all
-- @requires guest_360
select
    guest_360.lifecycle_stage,
    count(*) as guests,
    round(count(*) * 1.0 / sum(count(*)) over (), 4) as guest_share,
    round(sum(guest_360.clv_horizon), 2) as total_clv_horizon,
    round(sum(scores.value_at_risk), 2) as value_at_risk,
    round(avg(guest_360.days_overdue), 1) as mean_days_overdue
from guest_360
left join guest_scores as scores on guest_360.guest_id = scores.guest_id
where $segment is null or guest_360.segment = $segment
group by guest_360.lifecycle_stage
order by case guest_360.lifecycle_stage
    when 'prospect' then 1 when 'new' then 2 when 'active' then 3 when 'slipping' then 4
    when 'lapsed' then 5 when 'lost' then 6 else 7 end
