{#
  One row per scored guest: the next best action. The rule is the matching row of the
  nba_playbook seed with the lowest priority (keys: journey stage, lifecycle stage, churn
  risk, CLV tier, segment); the offer comes from offer_catalog; the channel follows the rule's preference
  among the channels the guest allows (see guest_contact_profile). A guest we may not contact
  gets 'front_desk' when arriving or in house and 'none' otherwise, never a marketing channel.
  guestloyalty.serving.nba.live_action applies the same rules for score-guest (a test checks).
  target_rank orders the guests we may contact on a marketing channel: by churn probability
  (targeting 'risk'), or with var nba_targeting = 'uplift' by the expected incremental value
  minus cost of the pipeline's guest_uplift table (targeting 'uplift'; guests it has no
  estimate for keep 'risk' and come after).
#}
with
-- clv_percentile over every scored guest, as guestloyalty.serving.nba.live_action counts it
scores as (
    select
        *,
        percent_rank() over (order by clv_horizon) as clv_percentile
    from {{ source('scoring', 'guest_scores') }}
),

contact as (select * from {{ ref('guest_contact_profile') }}),

playbook as (select * from {{ ref('nba_playbook') }}),

offers as (select * from {{ ref('offer_catalog') }}),

{% if var('nba_targeting', 'risk') == 'uplift' %}
uplift as (
    select
        guest_id,
        estimated_uplift,
        expected_net_value
    from {{ source('scoring', 'guest_uplift') }}
),
{% else %}
uplift as (
    select
        cast(null as {{ dbt.type_string() }}) as guest_id,
        cast(null as double) as estimated_uplift,
        cast(null as double) as expected_net_value
    from scores
    where false
),
{% endif %}

scored as (
    select
        scores.guest_id,
        scores.as_of_date,
        scores.churn_probability,
        scores.churn_risk,
        scores.lifecycle_stage,
        scores.clv_horizon,
        scores.clv_tier,
        scores.segment,
        scores.model_version,
        scores.clv_percentile,
        contact.journey_stage,
        contact.next_arrival_date,
        contact.may_email,
        contact.may_sms,
        contact.may_push,
        contact.may_contact,
        contact.most_responsive_channel
    from scores
    inner join contact on scores.guest_id = contact.guest_id
),

-- guests share a few hundred key combinations: rules are matched to those, not to every
-- guest (priorities are unique, so each combination has one first rule)
key_combinations as (
    select distinct journey_stage, lifecycle_stage, churn_risk, clv_tier, segment
    from scored
),

combination_rules as (
    select
        key_combinations.journey_stage,
        key_combinations.lifecycle_stage,
        key_combinations.churn_risk,
        key_combinations.clv_tier,
        key_combinations.segment,
        playbook.rule_id,
        playbook.offer_id,
        playbook.channel_preference,
        playbook.timing,
        playbook.rationale,
        row_number() over (
            partition by
                key_combinations.journey_stage,
                key_combinations.lifecycle_stage,
                key_combinations.churn_risk,
                key_combinations.clv_tier,
                key_combinations.segment
            order by playbook.priority
        ) as rule_rank
    from key_combinations
    inner join playbook
        on {{ matches_key('playbook.journey_stage', 'key_combinations.journey_stage') }}
        and {{ matches_key('playbook.lifecycle_stage', 'key_combinations.lifecycle_stage') }}
        and {{ matches_key('playbook.churn_risk', 'key_combinations.churn_risk') }}
        and {{ matches_key('playbook.clv_tier', 'key_combinations.clv_tier') }}
        and {{ matches_key('playbook.segment', 'key_combinations.segment') }}
),

chosen as (
    select
        scored.*,
        combination_rules.rule_id,
        combination_rules.offer_id,
        combination_rules.channel_preference,
        combination_rules.timing,
        combination_rules.rationale,
        least(
            {{ channel_rank('combination_rules.channel_preference', 'email', 'scored.may_email') }},
            {{ channel_rank('combination_rules.channel_preference', 'sms', 'scored.may_sms') }},
            {{ channel_rank('combination_rules.channel_preference', 'push', 'scored.may_push') }}
        ) as best_listed_rank
    from scored
    inner join combination_rules
        on combination_rules.rule_rank = 1
        and scored.journey_stage is not distinct from combination_rules.journey_stage
        and scored.lifecycle_stage is not distinct from combination_rules.lifecycle_stage
        and scored.churn_risk is not distinct from combination_rules.churn_risk
        and scored.clv_tier is not distinct from combination_rules.clv_tier
        and scored.segment is not distinct from combination_rules.segment
),

actions as (
    select
        chosen.guest_id,
        chosen.as_of_date,
        chosen.journey_stage,
        chosen.lifecycle_stage,
        chosen.segment,
        chosen.churn_risk,
        chosen.churn_probability,
        chosen.clv_horizon,
        chosen.clv_horizon as clv_12m,
        chosen.clv_tier,
        chosen.rule_id,
        chosen.offer_id,
        offers.offer_name,
        offers.offer_type,
        offers.is_paid,
        case
            when chosen.channel_preference in ('front_desk', 'none')
                then chosen.channel_preference
            when chosen.channel_preference = 'most_responsive'
                and chosen.most_responsive_channel is not null
                then chosen.most_responsive_channel
            when chosen.best_listed_rank < 9999 then
                case chosen.best_listed_rank
                    when {{ channel_rank('chosen.channel_preference', 'email', 'chosen.may_email') }}
                        then 'email'
                    when {{ channel_rank('chosen.channel_preference', 'sms', 'chosen.may_sms') }}
                        then 'sms'
                    else 'push'
                end
            when chosen.journey_stage in ('in_stay', 'pre_arrival') then 'front_desk'
            else 'none'
        end as channel,
        chosen.channel_preference,
        chosen.most_responsive_channel,
        chosen.may_contact,
        chosen.timing,
        {{ price_multiplier('chosen.clv_percentile', 'chosen.churn_probability') }}
            as price_multiplier,
        chosen.rationale,
        chosen.next_arrival_date,
        chosen.model_version
    from chosen
    inner join offers on chosen.offer_id = offers.offer_id
),

targeted as (
    select
        actions.*,
        case when uplift.guest_id is null then 'risk' else 'uplift' end as targeting,
        uplift.estimated_uplift,
        uplift.expected_net_value,
        actions.may_contact and actions.channel in ('email', 'sms', 'push') as is_marketable
    from actions
    left join uplift on actions.guest_id = uplift.guest_id
),

final as (
    select
        targeted.guest_id,
        targeted.as_of_date,
        targeted.journey_stage,
        targeted.lifecycle_stage,
        targeted.segment,
        targeted.churn_risk,
        targeted.churn_probability,
        targeted.clv_horizon,
        targeted.clv_12m,
        targeted.clv_tier,
        targeted.rule_id,
        targeted.offer_id,
        targeted.offer_name,
        targeted.offer_type,
        targeted.is_paid,
        targeted.channel,
        targeted.channel_preference,
        targeted.most_responsive_channel,
        targeted.may_contact,
        targeted.timing,
        targeted.price_multiplier,
        targeted.rationale,
        targeted.next_arrival_date,
        targeted.model_version,
        targeted.targeting,
        targeted.estimated_uplift,
        targeted.expected_net_value,
        case
            when targeted.is_marketable then row_number() over (
                partition by targeted.is_marketable
                order by
                    targeted.targeting = 'uplift' desc,
                    targeted.expected_net_value desc nulls last,
                    targeted.churn_probability desc nulls last,
                    targeted.clv_horizon desc nulls last,
                    targeted.guest_id asc
            )
        end as target_rank
    from targeted
)

select * from final
