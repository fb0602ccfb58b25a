{# Every bronze special request, typed once, with the first rule it fails (null: passes). #}
with
source as (select * from {{ cleaned_bronze('special_requests') }}),

typed as (
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
),

keyed as (
    select
        *,
        coalesce(
            source_request_id,
            md5(concat_ws('|', source_system, booking_id, request_type,
                cast(created_at as varchar), request_text))
        ) as request_id
    from typed
),

checked as (
    select
        *,
        case
            when booking_id is null then 'booking_id_blank'
            when request_type is null then 'request_type_blank'
            when raw_created_at is not null and created_at is null then 'created_at_unparseable'
            when {{ is_superseded('request_id') }} then 'duplicate_key'
        end as failed_rule
    from keyed
),

final as (
    select
        request_id,
        booking_id,
        guest_id,
        source_system,
        request_type,
        request_text,
        created_at,
        failed_rule,
        {{ bronze_lineage_columns() }}
    from checked
)

select * from final
