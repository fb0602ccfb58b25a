-- Guests to offer one item (an offer, extra, room type or property), most likely first, with the reason and their channel.
-- @param item_id text = spa_credit : the offer_id, extra_id, room_type or property_id
-- @param item_kind text = null : only this kind (offer, extra, room_type, property); null: any
-- @param max_rank integer = 5 : only where it is within the guest's first this many recommendations
-- @param limit_n integer = 500 : how many guests
-- @requires guest_recommendations, guest_contact_profile
select
    recommendations.guest_id,
    recommendations.item_kind,
    recommendations.item_id,
    recommendations.item_name,
    recommendations.rank,
    round(recommendations.score, 4) as score,
    recommendations.reason,
    contacts.may_contact,
    contacts.most_responsive_channel,
    contacts.journey_stage
from guest_recommendations as recommendations
left join guest_contact_profile as contacts
    on recommendations.guest_id = contacts.guest_id
where recommendations.item_id = $item_id
    and ($item_kind is null or recommendations.item_kind = $item_kind)
    and recommendations.rank <= $max_rank
order by recommendations.score desc, recommendations.guest_id
limit $limit_n
