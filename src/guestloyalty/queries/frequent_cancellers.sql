-- Guests who cancel a large share of their bookings.
-- @param min_bookings integer = 3 : only guests with at least this many bookings
-- @param min_cancel_share double = 0.5 : cancellations / bookings at or above this
-- @param limit_n integer = 200 : how many guests
-- @requires guest_360
select
    guest_id,
    bookings_count,
    cancellations_count,
    round(cancellations_count * 1.0 / bookings_count, 4) as cancel_share,
    lifetime_stays,
    round(clv_horizon, 2) as clv_horizon,
    churn_risk
from guest_360
where bookings_count >= $min_bookings
    and cancellations_count * 1.0 / bookings_count >= $min_cancel_share
order by cancel_share desc, bookings_count desc, guest_id
limit $limit_n
