{{ config(materialized='view') }}

with
source as (select * from {{ source('bronze', 'bookings') }}),

typed as (
    select
        {{ clean_text('booking_id') }} as booking_id,
        {{ clean_text('guest_id') }} as guest_id,
        coalesce({{ clean_text('source_system') }}, 'default') as source_system,
        {{ clean_text('property_id') }} as property_id,
        {{ clean_text('room_type') }} as room_type,
        {{ clean_text('rate_plan') }} as rate_plan,
        lower({{ clean_text('channel') }}) as channel,
        lower({{ clean_text('status') }}) as status,
        lower({{ clean_text('purpose') }}) as purpose,
        upper(coalesce({{ clean_text('currency') }}, 'EUR')) as currency,
        {{ safe_number('adults', 'integer') }} as adults,
        {{ safe_number('children', 'integer') }} as children,
        {{ safe_number('booking_changes', 'integer') }} as booking_changes,
        {{ safe_number('amount') }} as amount,
        {{ safe_timestamp('booked_at') }} as booked_at,
        {{ safe_timestamp('cancelled_at') }} as cancelled_at,
        {{ safe_date('arrival_date') }} as arrival_date,
        {{ safe_date('departure_date') }} as departure_date,
        {{ clean_text('arrival_date') }} as raw_arrival_date,
        {{ clean_text('departure_date') }} as raw_departure_date,
        {{ clean_text('amount') }} as raw_amount,
        _batch_id,
        _source_file,
        _row_number,
        _loaded_at
    from source
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
            when status is null then 'status_blank'
            when status not in ('confirmed', 'cancelled', 'no_show', 'checked_out')
                then 'status_unknown'
            when channel is not null and channel not in (select channel from {{ ref('channels') }})
                then 'channel_unknown'
            when raw_amount is not null and amount is null then 'amount_not_a_number'
            when amount < 0 then 'amount_negative'
            when row_number() over (
                partition by source_system, booking_id order by _loaded_at, _row_number
            ) > 1 then 'duplicate_key'
        end as failed_rule
    from typed
)

select * from checked
