{#
  One row per resolved guest (int_guest_identity_map), whatever entity they were seen in: a
  stays-only export has no profiles. Each profile attribute comes from the first profile that
  has it, in this order: the profile whose id names the guest, then the others newest first
  (up to three profiles per guest are consulted). Consent is the most restrictive over all
  their profiles (a guest who withdrew consent in one system has withdrawn it); membership is
  any.
#}
with
identity_map as (select * from {{ ref('int_guest_identity_map') }}),

profiles as (
    select
        identity_map.guest_id,
        profiles.guest_id as source_guest_id,
        profiles.source_system,
        profiles.email_hash,
        profiles.phone_hash,
        profiles.birth_date,
        profiles.city,
        profiles.country_code,
        profiles.language,
        profiles.has_marketing_consent,
        profiles.has_email_opt_in,
        profiles.has_sms_opt_in,
        profiles.is_loyalty_member,
        profiles.created_at
    from {{ ref('stg_bronze__guests') }} as profiles
    inner join identity_map
        on profiles.source_system = identity_map.source_system
        and profiles.guest_id = identity_map.source_guest_id
),

ranked_profiles as (
    select
        *,
        row_number() over (
            partition by guest_id
            order by
                case when source_guest_id = guest_id then 0 else 1 end asc,
                created_at desc nulls last,
                source_system asc,
                source_guest_id asc
        ) as profile_rank
    from profiles
),

{%- set attributes = ['email_hash', 'phone_hash', 'birth_date', 'city', 'country_code',
    'language'] %}

profile_attributes as (
    select
        guest_id,
        {%- for attribute in attributes %}
        coalesce(
            max(case when profile_rank = 1 then {{ attribute }} end),
            max(case when profile_rank = 2 then {{ attribute }} end),
            max(case when profile_rank = 3 then {{ attribute }} end)
        ) as {{ attribute }}{{ ',' if not loop.last }}
        {%- endfor %}
    from ranked_profiles
    group by guest_id
),

profile_summary as (
    select
        guest_id,
        count(*) as profiles_count,
        min(cast(created_at as date)) as created_date,
        min(case when has_marketing_consent then 1 when not has_marketing_consent then 0 end)
            as marketing_consent_flag,
        min(case when has_email_opt_in then 1 when not has_email_opt_in then 0 end)
            as email_opt_in_flag,
        min(case when has_sms_opt_in then 1 when not has_sms_opt_in then 0 end)
            as sms_opt_in_flag,
        max(case when is_loyalty_member then 1 else 0 end) as loyalty_member_flag
    from profiles
    group by guest_id
),

nodes as (
    select guest_id, count(*) as source_ids_count
    from identity_map
    group by guest_id
),

final as (
    select
        nodes.guest_id,
        profile_attributes.email_hash,
        profile_attributes.phone_hash,
        profile_attributes.birth_date,
        profile_attributes.city,
        profile_attributes.country_code,
        profile_attributes.language,
        coalesce(profile_summary.profiles_count, 0) as profiles_count,
        nodes.source_ids_count,
        profile_summary.marketing_consent_flag = 1 as has_marketing_consent,
        profile_summary.email_opt_in_flag = 1 as has_email_opt_in,
        profile_summary.sms_opt_in_flag = 1 as has_sms_opt_in,
        coalesce(profile_summary.loyalty_member_flag = 1, false) as is_loyalty_member,
        profile_summary.created_date
    from nodes
    left join profile_summary on nodes.guest_id = profile_summary.guest_id
    left join profile_attributes on nodes.guest_id = profile_attributes.guest_id
)

select * from final
