{{ config(tags=["post_scoring"]) }}
{# The playbook's catch-all rule gives every scored guest exactly one action. #}
select scores.guest_id
from {{ source('scoring', 'guest_scores') }} as scores
left join {{ ref('next_best_action') }} as actions on scores.guest_id = actions.guest_id
where actions.guest_id is null
