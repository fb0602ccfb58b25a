{#
  Campaign members on the resolved guest_id: one row per campaign and guest. A guest listed
  under two profiles of one campaign keeps the treatment group when either profile was
  contacted (has_conflicting_groups says so); the campaign's window starts at its first
  assignment and lasts its longest window_days (90 when the file gives none).
#}
with
members as (select * from {{ ref('stg_bronze__campaign_members') }}),

identity_map as (select * from {{ ref('int_guest_identity_map') }}),

resolved as (
    select
        members.campaign_id,
        identity_map.guest_id,
        members.assigned_group,
        members.campaign_name,
        members.offer_id,
        members.currency,
        members.selected_from,
        members.window_days,
        members.offer_cost,
        members.assigned_date
    from members
    inner join identity_map
        on members.source_system = identity_map.source_system
        and members.guest_id = identity_map.source_guest_id
),

campaigns as (
    select
        campaign_id,
        min(campaign_name) as campaign_name,
        min(offer_id) as offer_id,
        min(currency) as currency,
        min(selected_from) as selected_from,
        coalesce(max(window_days), 90) as window_days,
        avg(offer_cost) as offer_cost,
        min(assigned_date) as campaign_start_date
    from resolved
    group by campaign_id
),

guests as (
    select
        campaign_id,
        guest_id,
        max(case when assigned_group = 'treatment' then 1 else 0 end) = 1 as is_treatment,
        count(distinct assigned_group) > 1 as has_conflicting_groups
    from resolved
    group by campaign_id, guest_id
),

final as (
    select
        guests.campaign_id,
        guests.guest_id,
        case when guests.is_treatment then 'treatment' else 'control' end as assigned_group,
        campaigns.campaign_name,
        campaigns.offer_id,
        campaigns.currency,
        campaigns.selected_from,
        campaigns.window_days,
        campaigns.offer_cost,
        guests.is_treatment,
        guests.has_conflicting_groups,
        campaigns.campaign_start_date,
        {{ add_days('campaigns.campaign_start_date', 'campaigns.window_days') }}
            as campaign_end_date
    from guests
    inner join campaigns on guests.campaign_id = campaigns.campaign_id
)

select * from final
