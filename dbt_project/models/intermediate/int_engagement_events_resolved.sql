{#
  Engagement events on the resolved guest_id: only the columns gold reads (the events are the
  largest table; campaign, timestamp and source guest id stay in stg_bronze__engagement_events).
#}
with
events as (select * from {{ ref('stg_bronze__engagement_events') }}),

identity_map as (select * from {{ ref('int_guest_identity_map') }}),

final as (
    select
        events.event_id,
        events.source_system,
        identity_map.guest_id,
        events.event_type,
        events.occurred_date
    from events
    inner join identity_map
        on events.source_system = identity_map.source_system
        and events.guest_id = identity_map.source_guest_id
)

select * from final
