{{ config(tags=["post_scoring"]) }}
{# A marketing channel only where that channel is permitted; multipliers within [0.7, 1.3]. #}
select actions.guest_id, actions.channel, actions.price_multiplier
from {{ ref('next_best_action') }} as actions
inner join {{ ref('guest_contact_profile') }} as contact on actions.guest_id = contact.guest_id
where (actions.channel = 'email' and not contact.may_email)
    or (actions.channel = 'sms' and not contact.may_sms)
    or (actions.channel = 'push' and not contact.may_push)
    or actions.price_multiplier < 0.7
    or actions.price_multiplier > 1.3
