{{ config(materialized='view') }}

with
source as (select * from {{ bronze_source('bookings') }}),

channel_aliases as (select * from {{ ref('channel_aliases') }}),

room_type_aliases as (select * from {{ ref('room_type_aliases') }}),

typed as (
    select
        {{ clean_text('source.booking_id') }} as booking_id,
        {{ clean_text('source.guest_id') }} as guest_id,
        coalesce({{ clean_text('source.source_system') }}, 'default') as source_system,
        {{ clean_text('source.property_id') }} as property_id,
        coalesce(room_type_aliases.room_type, upper({{ clean_text('source.room_type') }}))
            as room_type,
        upper({{ clean_text('source.rate_plan') }}) as rate_plan,
        channel_aliases.channel,
        lower({{ clean_text('source.channel') }}) as raw_channel,
        lower({{ clean_text('source.status') }}) as status,
        lower({{ clean_text('source.purpose') }}) as purpose,
        upper(coalesce({{ clean_text('source.currency') }}, 'EUR')) as currency,
        {{ safe_number('source.adults', 'integer') }} as adults,
        {{ safe_number('source.children', 'integer') }} as children,
        {{ safe_number('source.booking_changes', 'integer') }} as booking_changes,
        {{ safe_number('source.amount') }} as amount,
        {{ safe_timestamp('source.booked_at') }} as booked_at,
        {{ safe_timestamp('source.cancelled_at') }} as cancelled_at,
        {{ safe_date('source.arrival_date') }} as arrival_date,
        {{ safe_date('source.departure_date') }} as departure_date,
        {{ clean_text('source.arrival_date') }} as raw_arrival_date,
        {{ clean_text('source.departure_date') }} as raw_departure_date,
        {{ clean_text('source.booked_at') }} as raw_booked_at,
        {{ clean_text('source.cancelled_at') }} as raw_cancelled_at,
        {{ clean_text('source.amount') }} as raw_amount,
        {{ clean_text('source.adults') }} as raw_adults,
        {{ clean_text('source.children') }} as raw_children,
        source._batch_id,
        source._source_file,
        source._row_number,
        source._loaded_at
    from source
    left join channel_aliases
        on lower({{ clean_text('source.channel') }}) = channel_aliases.alias
    left join room_type_aliases
        on lower({{ clean_text('source.room_type') }}) = room_type_aliases.alias
),

checked as (
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
            when row_number() over (
                partition by source_system, booking_id order by _loaded_at desc, _row_number desc
            ) > 1 then 'duplicate_key'
        end as failed_rule
    from typed
)

select * from checked
