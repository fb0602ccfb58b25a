{{ config(materialized='view') }}

with
source as (select * from {{ source('bronze', 'guests') }}),

typed as (
    select
        {{ clean_text('guest_id') }} as guest_id,
        coalesce({{ clean_text('source_system') }}, 'default') as source_system,
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        lower({{ clean_text('email') }}) as email,
        {{ clean_text('phone') }} as phone,
        {{ safe_date('birth_date') }} as birth_date,
        {{ clean_text('city') }} as city,
        upper({{ clean_text('country') }}) as country_code,
        lower({{ clean_text('language') }}) as language,
        {{ safe_timestamp('created_at') }} as created_at,
        {{ safe_bool('marketing_consent') }} as has_marketing_consent,
        {{ safe_bool('email_opt_in') }} as has_email_opt_in,
        {{ safe_bool('sms_opt_in') }} as has_sms_opt_in,
        {{ safe_bool('loyalty_member') }} as is_loyalty_member,
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
            when guest_id is null then 'guest_id_blank'
            when row_number() over (
                partition by source_system, guest_id order by _loaded_at desc, _row_number desc
            ) > 1 then 'duplicate_key'
        end as failed_rule
    from typed
)

select * from checked
