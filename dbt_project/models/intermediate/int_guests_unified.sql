{#
  One row per resolved guest (int_guest_identity_map), whatever entity they were seen in: a
  stays-only export has no profiles. Profile attributes come from the guest's most recently
  created profile; consent is the most restrictive over all their profiles (a guest who
  withdrew consent in one system has withdrawn it); membership is any.
#}
with
identity_map as (select * from {{ ref('int_guest_identity_map') }}),

profiles as (
    select
        identity_map.guest_id,
        profiles.*
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
            order by created_at desc nulls last, source_system, email_hash
        ) as recency_rank
    from profiles
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
        latest.email_hash,
        latest.phone_hash,
        latest.birth_date,
        latest.city,
        latest.country_code,
        latest.language,
        coalesce(profile_summary.profiles_count, 0) as profiles_count,
        nodes.source_ids_count,
        profile_summary.marketing_consent_flag = 1 as has_marketing_consent,
        profile_summary.email_opt_in_flag = 1 as has_email_opt_in,
        profile_summary.sms_opt_in_flag = 1 as has_sms_opt_in,
        coalesce(profile_summary.loyalty_member_flag = 1, false) as is_loyalty_member,
        profile_summary.created_date
    from nodes
    left join profile_summary on nodes.guest_id = profile_summary.guest_id
    left join ranked_profiles as latest
        on nodes.guest_id = latest.guest_id
        and latest.recency_rank = 1
)

select * from final
