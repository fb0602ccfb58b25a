{#
  Guest profiles that passed every rule. PII is still here (silver only), next to its keyed
  hashes. A table, unlike the other stg_ models: a view would keep the hash key in its SQL.
#}
{{ config(materialized='table') }}

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
        {{ keyed_hash('email') }} as email_hash,
        {{ keyed_hash('phone') }} as phone_hash,
        case
            when length({{ regexp_remove('phone', '[^0-9]') }}) >= 9 and last_name is not null
                then {{ keyed_hash("concat(" ~ dbt.right(regexp_remove('phone', '[^0-9]'), 9)
                    ~ ", '|', lower(last_name))") }}
        end as phone_name_hash,
        case
            when first_name is not null and last_name is not null and birth_date is not null
                then {{ keyed_hash("concat(lower(first_name), '|', lower(last_name), '|', "
                    ~ "cast(birth_date as string))") }}
        end as name_birth_date_hash,
        birth_date,
        city,
        country_code,
        language,
        has_marketing_consent,
        has_email_opt_in,
        has_sms_opt_in,
        is_loyalty_member,
        created_at,
        _batch_id
    from checked
    where failed_rule is null
)

select * from final
