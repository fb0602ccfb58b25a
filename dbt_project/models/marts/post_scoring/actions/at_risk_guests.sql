{#
  Guests at HIGH or CRITICAL churn risk, most value at risk first: what they are worth, how
  long until they count as lost, why the model thinks so, what to do, and whether we may
  contact them at all (marketing consent, opt-ins, unsubscribes).
#}
with
scores as (select * from {{ source('scoring', 'guest_scores') }}),

actions as (select * from {{ ref('next_best_action') }}),

final as (
    select
        scores.guest_id,
        scores.as_of_date,
        scores.churn_risk,
        scores.churn_probability,
        scores.days_until_lost,
        scores.clv_horizon,
        scores.horizon_days,
        scores.clv_horizon as clv_12m,
        scores.clv_tier,
        round(scores.clv_horizon * scores.churn_probability, 2) as value_at_risk,
        scores.max_retention_spend,
        scores.segment,
        scores.reason_1,
        scores.reason_2,
        scores.reason_3,
        actions.journey_stage,
        actions.rule_id,
        actions.offer_id,
        actions.offer_name,
        actions.channel,
        actions.timing,
        actions.price_multiplier,
        actions.may_contact,
        scores.model_version
    from scores
    inner join actions on scores.guest_id = actions.guest_id
    where scores.churn_risk in ('HIGH', 'CRITICAL')
)

select * from final
