with
checked as (select * from {{ ref('base_bronze__guests') }}),

final as (
    select
        guest_id,
        source_system,
        first_name,
        last_name,
        email,
        phone,
        birth_date,
        city,
        country_code,
        language,
        created_at,
        has_marketing_consent,
        has_email_opt_in,
        has_sms_opt_in,
        is_loyalty_member,
        _batch_id
    from checked
    where failed_rule is null
)

select * from final
