{# Every bronze guest profile, typed once, with the first rule it fails (null: passes). #}
{%- set typed -%}
    select
        source.guest_id,
        coalesce(source.source_system, 'default') as source_system,
        source.first_name,
        source.last_name,
        {{ normalise_email('source.email') }} as email,
        {{ normalise_phone('source.phone') }} as phone,
        {{ safe_date('source.birth_date') }} as birth_date,
        source.city,
        countries.country_code,
        lower(source.language) as language,
        {{ safe_timestamp('source.created_at') }} as created_at,
        {{ safe_bool('source.marketing_consent') }} as has_marketing_consent,
        {{ safe_bool('source.email_opt_in') }} as has_email_opt_in,
        {{ safe_bool('source.sms_opt_in') }} as has_sms_opt_in,
        {{ safe_bool('source.loyalty_member') }} as is_loyalty_member,
        source.birth_date as raw_birth_date,
        source.created_at as raw_created_at,
        {{ bronze_lineage_columns('source') }}
    from source
    left join countries on lower(source.country) = countries.alias
{%- endset -%}

{{ base_bronze(
    'guests',
    imports=[('countries', ref('country_aliases'))],
    typed=typed,
    rules=[
        ('guest_id_blank', "guest_id is null"),
        ('birth_date_unparseable', "raw_birth_date is not null and birth_date is null"),
        ('created_at_unparseable', "raw_created_at is not null and created_at is null"),
        ('duplicate_key', is_superseded('guest_id'))
    ],
    columns=[
        'guest_id', 'source_system', 'first_name', 'last_name', 'email', 'phone', 'birth_date',
        'city', 'country_code', 'language', 'created_at', 'has_marketing_consent',
        'has_email_opt_in', 'has_sms_opt_in', 'is_loyalty_member'
    ]
) }}
