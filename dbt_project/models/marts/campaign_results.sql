{#
  What each campaign did, measured against its randomized holdout. One row per campaign and
  group (treatment, control): guests, responses (opens and clicks of events carrying the
  campaign id), guests who came back (a check-in in the window [start, start + window_days),
  up to as_of), stays and revenue in the window. The treatment row also holds the comparison:
  lift = return rate treatment - control with a 95% interval (normal approximation, unpooled
  variances), incremental stays and revenue (per-guest difference x treatment guests, with
  95% intervals), offer cost (treatment guests x offer_cost) and ROI = (incremental revenue -
  cost) / cost. significance is 'not significant' when the lift's interval spans 0. Campaigns
  that start after as_of are left out; is_window_complete is false while the window is open.
  Rates and lifts are rounded to 9 decimals, stays to 6, money to cents: identical runs give
  identical gold whatever order a parallel average took.
#}
with
context as (select * from {{ ref('run_context') }}),

member_outcomes as (select * from {{ ref('campaign_member_outcomes') }}),

started_members as (select * from {{ ref('int_campaign_members_resolved') }}),

groups as (
    select
        campaign_id,
        assigned_group,
        count(*) as guests,
        sum(case when has_responded then 1 else 0 end) as responders,
        sum(case when has_returned then 1 else 0 end) as returned_guests,
        avg(case when has_returned then 1e0 else 0e0 end) as return_rate,
        sum(stays_in_window) as stays,
        avg(cast(stays_in_window as double)) as stays_per_guest,
        coalesce(var_samp(cast(stays_in_window as double)), 0) as stays_variance,
        sum(revenue_in_window) as revenue,
        avg(revenue_in_window) as revenue_per_guest,
        coalesce(var_samp(revenue_in_window), 0) as revenue_variance
    from member_outcomes
    group by campaign_id, assigned_group
),

campaigns as (
    select
        started_members.campaign_id,
        min(started_members.campaign_name) as campaign_name,
        min(started_members.offer_id) as offer_id,
        min(started_members.selected_from) as selected_from,
        min(started_members.currency) as currency,
        min(started_members.offer_cost) as offer_cost,
        min(started_members.window_days) as window_days,
        min(started_members.campaign_start_date) as campaign_start_date,
        min(started_members.campaign_end_date) as campaign_end_date
    from started_members
    cross join context
    where started_members.campaign_start_date <= context.as_of_date
    group by started_members.campaign_id
),

compared as (
    select
        treated.campaign_id,
        treated.return_rate - control.return_rate as lift,
        sqrt(
            treated.return_rate * (1 - treated.return_rate) / treated.guests
            + control.return_rate * (1 - control.return_rate) / control.guests
        ) as lift_standard_error,
        (treated.stays_per_guest - control.stays_per_guest) * treated.guests
            as incremental_stays,
        sqrt(treated.stays_variance / treated.guests + control.stays_variance / control.guests)
            * treated.guests as incremental_stays_standard_error,
        (treated.revenue_per_guest - control.revenue_per_guest) * treated.guests
            as incremental_revenue,
        sqrt(
            treated.revenue_variance / treated.guests
            + control.revenue_variance / control.guests
        ) * treated.guests as incremental_revenue_standard_error
    from groups as treated
    inner join groups as control
        on treated.campaign_id = control.campaign_id
        and control.assigned_group = 'control'
    where treated.assigned_group = 'treatment'
),

final as (
    select
        groups.campaign_id,
        groups.assigned_group,
        campaigns.campaign_name,
        campaigns.offer_id,
        campaigns.selected_from,
        campaigns.currency,
        case
            when compared.lift is null then null
            when compared.lift - 1.96 * compared.lift_standard_error > 0
                or compared.lift + 1.96 * compared.lift_standard_error < 0
                then 'significant'
            else 'not significant'
        end as significance,
        groups.guests,
        groups.responders,
        groups.returned_guests,
        {{ guestloyalty.round_to("groups.return_rate", 9) }} as return_rate,
        groups.stays,
        {{ guestloyalty.round_to("groups.revenue", 2) }} as revenue,
        {{ guestloyalty.round_to("compared.lift", 9) }} as lift,
        {{ guestloyalty.round_to("compared.lift - 1.96 * compared.lift_standard_error", 9) }} as lift_lower_95,
        {{ guestloyalty.round_to("compared.lift + 1.96 * compared.lift_standard_error", 9) }} as lift_upper_95,
        {{ guestloyalty.round_to("compared.incremental_stays", 6) }} as incremental_stays,
        {{ guestloyalty.round_to("compared.incremental_stays - 1.96 * compared.incremental_stays_standard_error", 6) }} as incremental_stays_lower_95,
        {{ guestloyalty.round_to("compared.incremental_stays + 1.96 * compared.incremental_stays_standard_error", 6) }} as incremental_stays_upper_95,
        {{ guestloyalty.round_to("compared.incremental_revenue", 2) }} as incremental_revenue,
        {{ guestloyalty.round_to("compared.incremental_revenue - 1.96 * compared.incremental_revenue_standard_error", 2) }} as incremental_revenue_lower_95,
        {{ guestloyalty.round_to("compared.incremental_revenue + 1.96 * compared.incremental_revenue_standard_error", 2) }} as incremental_revenue_upper_95,
        case
            when groups.assigned_group = 'treatment'
                then {{ guestloyalty.round_to("groups.guests * coalesce(campaigns.offer_cost, 0)", 2) }}
        end as offer_cost,
        case
            when compared.lift is not null and campaigns.offer_cost > 0
                then {{ guestloyalty.round_to("(compared.incremental_revenue - groups.guests * campaigns.offer_cost)
                    / (groups.guests * campaigns.offer_cost)", 6) }}
        end as roi,
        campaigns.window_days,
        campaigns.campaign_end_date <= {{ add_days('context.as_of_date', 1) }}
            as is_window_complete,
        campaigns.campaign_start_date,
        campaigns.campaign_end_date
    from groups
    cross join context
    inner join campaigns on groups.campaign_id = campaigns.campaign_id
    left join compared
        on groups.campaign_id = compared.campaign_id
        and groups.assigned_group = 'treatment'
)

select * from final
