{# Every bronze engagement event, typed once, with the first rule it fails (null: passes). #}
with
source as (select * from {{ cleaned_bronze('engagement_events') }}),

typed as (
    select
        event_id as source_event_id,
        guest_id,
        coalesce(source_system, 'default') as source_system,
        lower(event_type) as event_type,
        campaign_id,
        {{ safe_timestamp('occurred_at') }} as occurred_at,
        occurred_at as raw_occurred_at,
        {{ bronze_lineage_columns() }}
    from source
),

keyed as (
    select
        *,
        coalesce(
            source_event_id,
            md5(concat_ws('|', source_system, guest_id, event_type,
                cast(occurred_at as varchar), campaign_id))
        ) as event_id
    from typed
),

checked as (
    select
        *,
        case
            when guest_id is null then 'guest_id_blank'
            when event_type is null then 'event_type_blank'
            when event_type not in (
                'email_send', 'email_open', 'email_click', 'email_unsubscribe', 'sms_send',
                'sms_click', 'push_send', 'push_open', 'app_session', 'web_session',
                'social_mention', 'social_share'
            ) then 'event_type_unknown'
            when raw_occurred_at is null then 'occurred_at_blank'
            when occurred_at is null then 'occurred_at_unparseable'
            {{ implausible_date_rules('cast(occurred_at as date)', 'occurred_at') }}
            when {{ is_superseded('event_id') }} then 'duplicate_key'
        end as failed_rule
    from keyed
),

final as (
    select
        event_id,
        guest_id,
        source_system,
        event_type,
        campaign_id,
        occurred_at,
        failed_rule,
        {{ bronze_lineage_columns() }}
    from checked
)

select * from final
