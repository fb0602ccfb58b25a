-- What to prepare for guests arriving soon: preferences, past requests, VIP flag.
-- @param within_days integer = 14 : arrivals at most this many days after as_of
-- @param property_id text = null : only this property; null for all
-- @requires pre_arrival_setup
select
    arrival_date,
    property_id,
    booking_id,
    guest_id,
    is_vip,
    room_type,
    party_type,
    preferred_room,
    preferred_floor,
    preferred_pillow,
    preferred_dining,
    preferred_amenity,
    requests_this_booking,
    past_requests,
    past_complaints,
    next_best_offer
from pre_arrival_setup
where days_until_arrival <= $within_days
    and ($property_id is null or property_id = $property_id)
order by arrival_date, property_id, booking_id
