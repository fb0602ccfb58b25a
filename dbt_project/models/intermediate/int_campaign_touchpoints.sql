{#
  Marketing touchpoints: every engagement event that carries a campaign id (sends, opens,
  clicks of e-mail, SMS and push), on the resolved guest, with its time. Attribution credits
  bookings to these; campaign_results counts the responses (opens and clicks) among them.
#}
with
events as (select * from {{ ref('stg_bronze__engagement_events') }}),

identity_map as (select * from {{ ref('int_guest_identity_map') }}),

final as (
    select
        events.event_id,
        events.campaign_id,
        identity_map.guest_id,
        events.event_type,
        events.event_type in ('email_open', 'email_click', 'sms_click', 'push_open')
            as is_response,
        events.occurred_at,
        events.occurred_date
    from events
    inner join identity_map
        on events.source_system = identity_map.source_system
        and events.guest_id = identity_map.source_guest_id
    where events.campaign_id is not null
        and events.event_type in (
            'email_send', 'email_open', 'email_click', 'sms_send', 'sms_click', 'push_send',
            'push_open'
        )
)

select * from final
