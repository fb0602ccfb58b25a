{#
  RFM at as_of: one row per guest with a stay. Recency (days since the last stay; fewer is
  better), frequency (stays) and monetary (lifetime revenue) each scored 1-5 from mid-rank
  percentiles (score = 1 + floor(5 x percentile), capped at 5), so tied guests share a score.
  rfm_cell concatenates the three; rfm_segment names the usual groups:
    champions        R >= 4, F >= 4, M >= 4
    loyal            F >= 4, R >= 3
    potential_loyal  R >= 4, F in 2-3
    new              R >= 4, F = 1
    at_risk          R <= 2, F >= 3
    hibernating      R <= 2, F <= 2
    needs_attention  everyone else
#}
with
features as (select * from {{ ref('guest_feature_snapshots') }}),

context as (select * from {{ ref('run_context') }}),

current_features as (
    select
        features.guest_id,
        features.days_since_last_stay,
        features.stays_count,
        features.lifetime_revenue
    from features
    inner join context on features.snapshot_date = context.current_snapshot_date
),

{{ percentile_ranks('recency_ranks', 'current_features', 'current_features.days_since_last_stay',
    descending=true) }},

{{ percentile_ranks('frequency_ranks', 'current_features', 'current_features.stays_count') }},

{{ percentile_ranks('monetary_ranks', 'current_features', 'current_features.lifetime_revenue') }},

percentiles as (
    select
        current_features.guest_id,
        current_features.days_since_last_stay,
        current_features.stays_count,
        current_features.lifetime_revenue,
        recency_ranks.percentile as recency_pct,
        frequency_ranks.percentile as frequency_pct,
        monetary_ranks.percentile as monetary_pct
    from current_features
    left join recency_ranks on current_features.days_since_last_stay = recency_ranks.value
    left join frequency_ranks on current_features.stays_count = frequency_ranks.value
    left join monetary_ranks on current_features.lifetime_revenue = monetary_ranks.value
),

scored as (
    select
        guest_id,
        days_since_last_stay,
        stays_count,
        lifetime_revenue,
        cast(least(5, 1 + floor(5 * recency_pct)) as integer) as recency_score,
        cast(least(5, 1 + floor(5 * frequency_pct)) as integer) as frequency_score,
        cast(least(5, 1 + floor(5 * monetary_pct)) as integer) as monetary_score
    from percentiles
),

final as (
    select
        scored.guest_id,
        scored.recency_score,
        scored.frequency_score,
        scored.monetary_score,
        concat(
            cast(scored.recency_score as string), cast(scored.frequency_score as string),
            cast(scored.monetary_score as string)
        ) as rfm_cell,
        case
            when scored.recency_score >= 4 and scored.frequency_score >= 4
                and scored.monetary_score >= 4 then 'champions'
            when scored.frequency_score >= 4 and scored.recency_score >= 3 then 'loyal'
            when scored.recency_score >= 4 and scored.frequency_score between 2 and 3
                then 'potential_loyal'
            when scored.recency_score >= 4 and scored.frequency_score = 1 then 'new'
            when scored.recency_score <= 2 and scored.frequency_score >= 3 then 'at_risk'
            when scored.recency_score <= 2 and scored.frequency_score <= 2 then 'hibernating'
            else 'needs_attention'
        end as rfm_segment,
        scored.days_since_last_stay,
        scored.stays_count,
        scored.lifetime_revenue,
        context.as_of_date
    from scored
    cross join context
)

select * from final
