{# Every bronze engagement event, typed once, with the first rule it fails (null: passes). #}
{%- set typed -%}
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
{%- endset -%}

{{ base_bronze(
    'engagement_events',
    typed=typed,
    surrogate_key=('event_id', [
        "source_system",
        "guest_id",
        "event_type",
        "cast(occurred_at as string)",
        "campaign_id"
    ]),
    rules=[
        ('guest_id_blank', "guest_id is null"),
        ('event_type_blank', "event_type is null"),
        ('event_type_unknown',
            "event_type not in ("
            ~ " 'email_send', 'email_open', 'email_click', 'email_unsubscribe', 'sms_send',"
            ~ " 'sms_click', 'push_send', 'push_open', 'app_session', 'web_session',"
            ~ " 'social_mention', 'social_share'"
            ~ " )"),
        ('occurred_at_blank', "raw_occurred_at is null"),
        ('occurred_at_unparseable', "occurred_at is null")
    ] + implausible_date_rules('cast(occurred_at as date)', 'occurred_at') + [
        ('duplicate_key', is_superseded('event_id'))
    ],
    columns=[
        'event_id', 'guest_id', 'source_system', 'event_type', 'campaign_id', 'occurred_at'
    ]
) }}
