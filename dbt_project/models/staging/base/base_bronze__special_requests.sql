{# Every bronze special request, typed once, with the first rule it fails (null: passes). #}
{%- set typed -%}
    select
        request_id as source_request_id,
        booking_id,
        guest_id,
        coalesce(source_system, 'default') as source_system,
        lower(request_type) as request_type,
        request_text,
        {{ safe_timestamp('created_at') }} as created_at,
        created_at as raw_created_at,
        {{ bronze_lineage_columns() }}
    from source
{%- endset -%}

{{ base_bronze(
    'special_requests',
    typed=typed,
    surrogate_key=('request_id', [
        "source_system",
        "booking_id",
        "request_type",
        "cast(created_at as string)",
        "request_text"
    ]),
    rules=[
        ('booking_id_blank', "booking_id is null"),
        ('request_type_blank', "request_type is null"),
        ('created_at_unparseable', "raw_created_at is not null and created_at is null"),
        ('duplicate_key', is_superseded('request_id'))
    ],
    columns=[
        'request_id', 'booking_id', 'guest_id', 'source_system', 'request_type', 'request_text',
        'created_at'
    ]
) }}
