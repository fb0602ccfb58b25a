{#
  One row per campaign and guest: the group, and what the guest did in the campaign window
  [campaign_start_date, campaign_end_date) up to as_of: responded (an open or click of an
  event carrying the campaign id), returned (a check-in), stays and revenue. campaign_results
  aggregates it; guestloyalty.campaigns trains the uplift model on it (members of windows
  that closed by as_of). Campaigns starting after as_of are left out.
#}
with
context as (select * from {{ ref('run_context') }}),

members as (select * from {{ ref('int_campaign_members_resolved') }}),

stays as (select guest_id, check_in_date, total_revenue from {{ ref('int_stays_enriched') }}),

touchpoints as (select * from {{ ref('int_campaign_touchpoints') }}),

started_members as (
    select members.*
    from members
    cross join context
    where members.campaign_start_date <= context.as_of_date
),

member_stays as (
    select
        started_members.campaign_id,
        started_members.guest_id,
        count(stays.check_in_date) as stays_in_window,
        coalesce(sum(stays.total_revenue), 0) as revenue_in_window
    from started_members
    cross join context
    left join stays
        on started_members.guest_id = stays.guest_id
        and started_members.campaign_start_date <= stays.check_in_date
        and started_members.campaign_end_date > stays.check_in_date
        and context.as_of_date >= stays.check_in_date
    group by started_members.campaign_id, started_members.guest_id
),

member_responses as (
    select
        started_members.campaign_id,
        started_members.guest_id,
        max(case when touchpoints.is_response then 1 else 0 end) as responded
    from started_members
    cross join context
    inner join touchpoints
        on started_members.guest_id = touchpoints.guest_id
        and started_members.campaign_id = touchpoints.campaign_id
        and context.as_of_date >= touchpoints.occurred_date
    group by started_members.campaign_id, started_members.guest_id
),

final as (
    select
        started_members.campaign_id,
        started_members.guest_id,
        started_members.assigned_group,
        member_stays.stays_in_window,
        {{ guestloyalty.round_to("member_stays.revenue_in_window", 2) }} as revenue_in_window,
        started_members.is_treatment,
        coalesce(member_responses.responded, 0) = 1 as has_responded,
        member_stays.stays_in_window > 0 as has_returned,
        started_members.campaign_end_date <= {{ add_days('context.as_of_date', 1) }}
            as is_window_complete,
        started_members.campaign_start_date,
        started_members.campaign_end_date
    from started_members
    cross join context
    inner join member_stays
        on started_members.campaign_id = member_stays.campaign_id
        and started_members.guest_id = member_stays.guest_id
    left join member_responses
        on started_members.campaign_id = member_responses.campaign_id
        and started_members.guest_id = member_responses.guest_id
)

select * from final
