{#
  Engagement events on the resolved guest_id. A view: the events are the largest table, its
  readers (gold features, contact profile) read it once each, and a join costs less than
  writing every event a second time.
#}
{{ config(materialized='view') }}

with
events as (select * from {{ ref('stg_bronze__engagement_events') }}),

identity_map as (select * from {{ ref('int_guest_identity_map') }}),

final as (
    select
        events.event_id,
        events.source_system,
        events.guest_id as source_guest_id,
        identity_map.guest_id,
        events.event_type,
        events.campaign_id,
        events.occurred_at,
        events.occurred_date
    from events
    inner join identity_map
        on events.source_system = identity_map.source_system
        and events.guest_id = identity_map.source_guest_id
)

select * from final
