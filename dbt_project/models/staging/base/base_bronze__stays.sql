{{ config(materialized='view') }}

with
source as (select * from {{ source('bronze', 'stays') }}),

typed as (
    select
        {{ clean_text('stay_id') }} as source_stay_id,
        {{ clean_text('booking_id') }} as booking_id,
        {{ clean_text('guest_id') }} as guest_id,
        coalesce({{ clean_text('source_system') }}, 'default') as source_system,
        {{ clean_text('property_id') }} as property_id,
        {{ clean_text('room_type') }} as room_type,
        upper(coalesce({{ clean_text('currency') }}, 'EUR')) as currency,
        {{ safe_number('nights', 'integer') }} as nights,
        {{ safe_number('room_revenue') }} as room_revenue,
        {{ safe_number('fnb_revenue') }} as fnb_revenue,
        {{ safe_number('spa_revenue') }} as spa_revenue,
        {{ safe_number('other_revenue') }} as other_revenue,
        {{ safe_number('total_revenue') }} as total_revenue,
        {{ safe_bool('is_upgraded') }} as is_upgraded,
        {{ safe_bool('had_service_failure') }} as had_service_failure,
        {{ safe_date('check_in_date') }} as check_in_date,
        {{ safe_date('check_out_date') }} as check_out_date,
        {{ clean_text('check_in_date') }} as raw_check_in_date,
        {{ clean_text('check_out_date') }} as raw_check_out_date,
        {{ clean_text('total_revenue') }} as raw_total_revenue,
        _batch_id,
        _source_file,
        _row_number,
        _loaded_at
    from source
),

keyed as (
    select
        *,
        coalesce(
            source_stay_id,
            md5(concat_ws('|', source_system, guest_id, cast(check_in_date as varchar),
                property_id, cast(total_revenue as varchar)))
        ) as stay_id
    from typed
),

checked as (
    select
        *,
        case
            when guest_id is null then 'guest_id_blank'
            when raw_check_in_date is null then 'check_in_date_blank'
            when check_in_date is null then 'check_in_date_unparseable'
            when raw_total_revenue is null then 'total_revenue_blank'
            when total_revenue is null then 'total_revenue_not_a_number'
            when total_revenue < 0 then 'total_revenue_negative'
            when raw_check_out_date is not null and check_out_date is null
                then 'check_out_date_unparseable'
            when check_out_date < check_in_date then 'check_out_before_check_in'
            when row_number() over (
                partition by source_system, stay_id order by _loaded_at, _row_number
            ) > 1 then 'duplicate_key'
        end as failed_rule
    from keyed
)

select * from checked
