-- New -> second stay funnel: per first-stay month, guests who came back, who are still new, who slipped away.
-- @param months integer = 24 : first stays in this many months up to as_of
-- @requires guest_360
select
    date_trunc('month', first_stay_date) as first_stay_month,
    count(*) as first_time_guests,
    count(*) filter (where lifetime_stays >= 2) as came_back,
    round(count(*) filter (where lifetime_stays >= 2) * 1.0 / count(*), 4) as second_stay_rate,
    count(*) filter (where lifecycle_stage = 'new') as second_stay_not_yet_due,
    count(*) filter (where lifetime_stays = 1 and lifecycle_stage = 'slipping')
        as second_stay_overdue,
    count(*) filter (where lifetime_stays = 1 and lifecycle_stage in ('lapsed', 'lost'))
        as never_came_back
from guest_360
where first_stay_date is not null
    and first_stay_date > as_of_date - cast($months * 31 as integer)
group by 1
order by 1
