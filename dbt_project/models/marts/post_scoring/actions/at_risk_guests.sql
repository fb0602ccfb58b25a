{#
  The guests worth a retention call: slipping guests with a sign of drifting off
  (slipping_reason bad_experience, then return_probability_fell), most value at risk first
  within each. Where no guest shows such a sign (a purchase log without service or
  engagement data, the first run), the list falls back to the rhythm: slipping guests
  overdue against it and valuable lapsed ones (PLATINUM / GOLD, lapsed within
  var('at_risk_lapsed_within_days')). Being overdue alone finds drop-outs as often as
  drifters, so it does not push signed guests off the list or pad it. Capped at
  var('at_risk_max_share') of the customer base (new, active, slipping, reactivated
  guests) so that a team can work the whole list. With when the next stay was due, the
  reasons, what to do, and whether we may contact them.
#}
with
scores as (select * from {{ source('scoring', 'guest_scores') }}),

actions as (select * from {{ ref('next_best_action') }}),

customer_base as (
    select count(*) as guests
    from scores
    where lifecycle_stage in ('new', 'active', 'slipping', 'reactivated')
),

signed as (
    select count(*) as guests
    from scores
    where scores.lifecycle_stage = 'slipping'
        and scores.slipping_reason in ('bad_experience', 'return_probability_fell')
),

candidates as (
    select
        scores.*,
        row_number() over (
            order by
                case scores.slipping_reason
                    when 'bad_experience' then 1
                    when 'return_probability_fell' then 2
                    else 3
                end asc,
                scores.value_at_risk desc,
                scores.clv_horizon desc,
                scores.guest_id asc
        ) as at_risk_rank
    from scores
    cross join signed
    where (scores.lifecycle_stage = 'slipping'
            and scores.slipping_reason in ('bad_experience', 'return_probability_fell'))
        or (signed.guests = 0 and scores.lifecycle_stage = 'slipping')
        or (signed.guests = 0
            and scores.lifecycle_stage = 'lapsed'
            and scores.clv_tier in ('PLATINUM', 'GOLD')
            and scores.lapses_on > {{ add_days('scores.as_of_date',
                -var('at_risk_lapsed_within_days')) }})
),

final as (
    select
        candidates.guest_id,
        candidates.at_risk_rank,
        candidates.as_of_date,
        candidates.lifecycle_stage,
        candidates.slipping_reason,
        candidates.value_at_risk,
        candidates.expected_next_stay_date,
        candidates.days_overdue,
        candidates.lapses_on,
        candidates.churn_risk,
        candidates.churn_probability,
        candidates.clv_horizon,
        candidates.horizon_days,
        candidates.clv_horizon as clv_12m,
        candidates.clv_tier,
        candidates.max_retention_spend,
        candidates.segment,
        candidates.reason_1,
        candidates.reason_2,
        candidates.reason_3,
        actions.journey_stage,
        actions.rule_id,
        actions.offer_id,
        actions.offer_name,
        actions.channel,
        actions.timing,
        actions.price_multiplier,
        actions.may_contact,
        candidates.model_version
    from candidates
    cross join customer_base
    inner join actions on candidates.guest_id = actions.guest_id
    where candidates.at_risk_rank
        <= greatest(1, floor(customer_base.guests * {{ var('at_risk_max_share') }}))
)

select * from final
