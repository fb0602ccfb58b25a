{#
  Every bronze booking, typed once, with the first rule it fails (null: passes). The amount is
  converted into the reporting currency (seed exchange_rates; `source_currency` keeps the
  export's). Plausibility rules (macros/plausibility.sql) follow the typing rules; the amount
  bound needs the other rules' survivors, so it is checked in a second pass.
#}
with
source as (select * from {{ cleaned_bronze('bookings') }}),

properties as (select property_id from {{ ref('properties') }}),

{{ reporting_rates('rates') }},

channel_aliases as (select * from {{ ref('channel_aliases') }}),

room_type_aliases as (select * from {{ ref('room_type_aliases') }}),

typed as (
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
),

keyed as (
    select
        typed.*,
        rates.to_reporting,
        rates.reporting_currency,
        properties.property_id is not null as is_known_property
    from typed
    left join rates on typed.currency = rates.currency
    left join properties on typed.property_id = properties.property_id
),

first_pass as (
    select
        *,
        case
            when booking_id is null then 'booking_id_blank'
            when guest_id is null then 'guest_id_blank'
            when raw_arrival_date is null then 'arrival_date_blank'
            when arrival_date is null then 'arrival_date_unparseable'
            when raw_departure_date is null then 'departure_date_blank'
            when departure_date is null then 'departure_date_unparseable'
            when departure_date < arrival_date then 'departure_before_arrival'
            when raw_booked_at is not null and booked_at is null then 'booked_at_unparseable'
            when raw_cancelled_at is not null and cancelled_at is null
                then 'cancelled_at_unparseable'
            when status is null then 'status_blank'
            when status not in ('confirmed', 'cancelled', 'no_show', 'checked_out')
                then 'status_unknown'
            when raw_channel is not null and channel is null then 'channel_unknown'
            when purpose is not null and purpose not in ('business', 'leisure', 'family', 'group')
                then 'purpose_unknown'
            when raw_amount is not null and amount is null then 'amount_not_a_number'
            when amount < 0 then 'amount_negative'
            when (raw_adults is not null and adults is null)
                or (raw_children is not null and children is null) then 'party_size_not_a_number'
            when adults < 0 or children < 0 then 'party_size_negative'
            {{ implausible_date_rules('arrival_date', 'arrival_date',
                var('max_booking_lead_days', 730)) }}
            when {{ is_placeholder_year('departure_date') }} then 'departure_date_placeholder'
            when booked_at is not null and {{ is_placeholder_year('booked_at') }}
                then 'booked_at_placeholder'
            when cast(booked_at as date)
                > {{ add_days('cast(_loaded_at as date)', '1') }} then 'booked_at_in_future'
            when {{ days_between('arrival_date', 'departure_date') }}
                > {{ var('max_nights', 365) }} then 'nights_out_of_range'
            when coalesce(adults, 0) + coalesce(children, 0) > {{ var('max_party_size', 60) }}
                then 'party_size_out_of_range'
            when raw_property_id is not null and not is_known_property then 'property_unknown'
            when to_reporting is null then 'currency_unknown'
        end as first_rule
    from keyed
),

{{ money_bounds(
    'amount_bounds',
    '(select * from first_pass where first_rule is null and amount is not null)',
    'amount * to_reporting / greatest(' ~ days_between('arrival_date', 'departure_date') ~ ', 1)',
    ['_batch_id', '_source_file', '_row_number']) }},

bounded as (
    select
        first_pass.*,
        amount_bounds.log_rate,
        amount_bounds.upper_log_rate
    from first_pass
    left join amount_bounds
        on first_pass._batch_id = amount_bounds._batch_id
        and first_pass._source_file = amount_bounds._source_file
        and first_pass._row_number = amount_bounds._row_number
),

checked as (
    select
        *,
        case
            when first_rule is not null then first_rule
            when log_rate > upper_log_rate then 'amount_out_of_range'
            when {{ is_superseded('booking_id') }} then 'duplicate_key'
        end as failed_rule
    from bounded
),

final as (
    select
        booking_id,
        guest_id,
        source_system,
        property_id,
        room_type,
        rate_plan,
        channel,
        status,
        purpose,
        reporting_currency as currency,
        currency as source_currency,
        to_reporting as exchange_rate,
        adults,
        children,
        booking_changes,
        amount * to_reporting as amount,
        booked_at,
        cancelled_at,
        arrival_date,
        departure_date,
        failed_rule,
        {{ bronze_lineage_columns() }}
    from checked
)

select * from final
