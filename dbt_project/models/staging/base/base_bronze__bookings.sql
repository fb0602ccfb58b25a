{#
  Every bronze booking, typed once, with the first rule it fails (null: passes). The amount is
  converted into the reporting currency (seed exchange_rates; `source_currency` keeps the
  export's). The plausibility rules (macros/plausibility.sql) follow the typing rules; the
  amount bound is a second pass over the rows that passed them.
#}
{%- set typed -%}
    select
        source.booking_id,
        source.guest_id,
        coalesce(source.source_system, 'default') as source_system,
        source.property_id,
        coalesce(room_type_aliases.room_type, upper(source.room_type)) as room_type,
        upper(source.rate_plan) as rate_plan,
        channel_aliases.channel,
        lower(source.channel) as raw_channel,
        lower(source.status) as status,
        lower(source.purpose) as purpose,
        upper(coalesce(source.currency, 'EUR')) as currency,
        {{ safe_number('source.adults', 'integer') }} as adults,
        {{ safe_number('source.children', 'integer') }} as children,
        {{ safe_number('source.booking_changes', 'integer') }} as booking_changes,
        {{ safe_number('source.amount') }} as amount,
        {{ safe_timestamp('source.booked_at') }} as booked_at,
        {{ safe_timestamp('source.cancelled_at') }} as cancelled_at,
        {{ safe_date('source.arrival_date') }} as arrival_date,
        {{ safe_date('source.departure_date') }} as departure_date,
        source.property_id as raw_property_id,
        rates.to_reporting,
        rates.reporting_currency,
        properties.property_id is not null as is_known_property,
        source.arrival_date as raw_arrival_date,
        source.departure_date as raw_departure_date,
        source.booked_at as raw_booked_at,
        source.cancelled_at as raw_cancelled_at,
        source.amount as raw_amount,
        source.adults as raw_adults,
        source.children as raw_children,
        {{ bronze_lineage_columns('source') }}
    from source
    left join channel_aliases on lower(source.channel) = channel_aliases.alias
    left join room_type_aliases on lower(source.room_type) = room_type_aliases.alias
    left join rates on upper(coalesce(source.currency, 'EUR')) = rates.currency
    left join properties on source.property_id = properties.property_id
{%- endset -%}

{{ base_bronze(
    'bookings',
    imports=[
        ('channel_aliases', ref('channel_aliases')),
        ('room_type_aliases', ref('room_type_aliases')),
        ('properties', ref('properties')),
        ('rates', reporting_rates())
    ],
    typed=typed,
    rules=[
        ('booking_id_blank', "booking_id is null"),
        ('guest_id_blank', "guest_id is null"),
        ('arrival_date_blank', "raw_arrival_date is null"),
        ('arrival_date_unparseable', "arrival_date is null"),
        ('departure_date_blank', "raw_departure_date is null"),
        ('departure_date_unparseable', "departure_date is null"),
        ('departure_before_arrival', "departure_date < arrival_date"),
        ('booked_at_unparseable', "raw_booked_at is not null and booked_at is null"),
        ('cancelled_at_unparseable', "raw_cancelled_at is not null and cancelled_at is null"),
        ('status_blank', "status is null"),
        ('status_unknown', "status not in ('confirmed', 'cancelled', 'no_show', 'checked_out')"),
        ('channel_unknown', "raw_channel is not null and channel is null"),
        ('purpose_unknown',
            "purpose is not null and purpose not in ('business', 'leisure', 'family', 'group')"),
        ('amount_not_a_number', "raw_amount is not null and amount is null"),
        ('amount_negative', "amount < 0"),
        ('party_size_not_a_number',
            "(raw_adults is not null and adults is null)"
            ~ " or (raw_children is not null and children is null)"),
        ('party_size_negative', "adults < 0 or children < 0")
    ] + implausible_date_rules('arrival_date', 'arrival_date', var('max_booking_lead_days', 730))
    + [
        ('departure_date_placeholder', is_placeholder_year('departure_date')),
        ('booked_at_placeholder', "booked_at is not null and " ~ is_placeholder_year('booked_at')),
        ('booked_at_in_future',
            "cast(booked_at as date) > " ~ add_days('cast(_loaded_at as date)', '1')),
        ('nights_out_of_range',
            days_between('arrival_date', 'departure_date') ~ " > " ~ var('max_nights', 365)),
        ('party_size_out_of_range',
            "coalesce(adults, 0) + coalesce(children, 0) > " ~ var('max_party_size', 60)),
        ('property_unknown', "raw_property_id is not null and not is_known_property"),
        ('currency_unknown', "to_reporting is null")
    ],
    money_bound=('amount_out_of_range',
        "amount * to_reporting / greatest("
        ~ days_between('arrival_date', 'departure_date') ~ ", 1)"),
    late_rules=[('duplicate_key', is_superseded('booking_id'))],
    columns=[
        'booking_id', 'guest_id', 'source_system', 'property_id', 'room_type', 'rate_plan',
        'channel', 'status', 'purpose', 'reporting_currency as currency',
        'currency as source_currency', 'to_reporting as exchange_rate', 'adults', 'children',
        'booking_changes', 'amount * to_reporting as amount', 'booked_at', 'cancelled_at',
        'arrival_date', 'departure_date'
    ]
) }}
