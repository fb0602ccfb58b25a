{#
  Loyalty scorecard at as_of: one row per guest with a stay.

  Five components, each 0-100: the mean of its inputs' mid-rank percentiles among all guests
  (macro percentile; inputs where lower is better are ranked descending). A component whose
  source entity is absent from the data (no engagement export, no reviews, ...) is null, and
  so is an input a guest has no value for. The composite loyalty_score is the weighted mean of
  the components present (weights: seed loyalty_score_weights); score_tier is the highest tier
  of seed loyalty_score_tiers whose min_score the composite reaches.
#}
with
features as (select * from {{ ref('guest_feature_snapshots') }}),

context as (select * from {{ ref('run_context') }}),

coverage as (select * from {{ ref('int_source_coverage') }}),

weights as (select * from {{ ref('loyalty_score_weights') }}),

tiers as (select * from {{ ref('loyalty_score_tiers') }}),

current_features as (
    select features.*
    from features
    inner join context on features.snapshot_date = context.current_snapshot_date
),

inputs as (
    select
        current_features.guest_id,
        -- engagement
        case when coverage.has_engagement_events
            then {{ percentile('coalesce(current_features.email_open_rate_180d, 0)') }}
        end as email_open_rate_pct,
        case when coverage.has_engagement_events
            then {{ percentile('current_features.email_clicks_180d') }}
        end as email_clicks_pct,
        case when coverage.has_engagement_events
            then {{ percentile('current_features.sessions_90d') }}
        end as sessions_pct,
        case when coverage.has_engagement_events
            then {{ percentile('coalesce(current_features.days_since_last_engagement, 100000)',
                descending=true) }}
        end as engagement_recency_pct,
        -- loyalty
        {{ percentile('current_features.stays_count') }} as stays_pct,
        {{ percentile('current_features.days_since_first_stay') }} as tenure_pct,
        {{ percentile('current_features.stays_last_365d') }} as recent_stays_pct,
        case when coverage.has_loyalty_transactions
            then {{ percentile('coalesce(current_features.loyalty_tier_rank, 0)') }}
        end as tier_pct,
        case when coverage.has_bookings
            then {{ percentile('current_features.direct_booking_share') }}
        end as direct_share_pct,
        -- value
        {{ percentile('current_features.lifetime_revenue') }} as lifetime_revenue_pct,
        {{ percentile('current_features.revenue_last_365d') }} as recent_revenue_pct,
        {{ percentile('current_features.avg_daily_rate') }} as daily_rate_pct,
        {{ percentile('current_features.ancillary_share') }} as ancillary_pct,
        -- satisfaction
        case when coverage.has_reviews
            then {{ percentile('current_features.avg_rating') }}
        end as rating_pct,
        case when coverage.has_reviews
            then {{ percentile('current_features.last_nps') }}
        end as satisfaction_nps_pct,
        case when coverage.has_reviews or coverage.has_special_requests
            then {{ percentile('current_features.service_failures_count', descending=true) }}
        end as service_failures_pct,
        case when coverage.has_special_requests
            then {{ percentile('current_features.complaints_count', descending=true) }}
        end as complaints_pct,
        -- advocacy
        case when coverage.has_reviews
            then {{ percentile('current_features.last_nps') }}
        end as advocacy_nps_pct,
        case when coverage.has_reviews
            then {{ percentile('current_features.reviews_count') }}
        end as reviews_pct,
        case when coverage.has_engagement_events
            then {{ percentile('current_features.social_actions_365d') }}
        end as social_pct
    from current_features
    cross join coverage
),

components as (
    select
        guest_id,
        100 * {{ mean_of_present(['email_open_rate_pct', 'email_clicks_pct', 'sessions_pct',
            'engagement_recency_pct']) }} as engagement_score,
        100 * {{ mean_of_present(['stays_pct', 'tenure_pct', 'recent_stays_pct', 'tier_pct',
            'direct_share_pct']) }} as loyalty_component_score,
        100 * {{ mean_of_present(['lifetime_revenue_pct', 'recent_revenue_pct', 'daily_rate_pct',
            'ancillary_pct']) }} as value_score,
        100 * {{ mean_of_present(['rating_pct', 'satisfaction_nps_pct', 'service_failures_pct',
            'complaints_pct']) }} as satisfaction_score,
        100 * {{ mean_of_present(['advocacy_nps_pct', 'reviews_pct', 'social_pct']) }}
            as advocacy_score
    from inputs
),

weight_row as (
    select
        max(case when component = 'engagement' then weight end) as engagement_weight,
        max(case when component = 'loyalty' then weight end) as loyalty_weight,
        max(case when component = 'value' then weight end) as value_weight,
        max(case when component = 'satisfaction' then weight end) as satisfaction_weight,
        max(case when component = 'advocacy' then weight end) as advocacy_weight
    from weights
),

composite as (
    select
        components.*,
        (
            coalesce(components.engagement_score * weight_row.engagement_weight, 0)
            + coalesce(components.loyalty_component_score * weight_row.loyalty_weight, 0)
            + coalesce(components.value_score * weight_row.value_weight, 0)
            + coalesce(components.satisfaction_score * weight_row.satisfaction_weight, 0)
            + coalesce(components.advocacy_score * weight_row.advocacy_weight, 0)
        ) / nullif(
            case when components.engagement_score is not null
                then coalesce(weight_row.engagement_weight, 0) else 0 end
            + case when components.loyalty_component_score is not null
                then coalesce(weight_row.loyalty_weight, 0) else 0 end
            + case when components.value_score is not null
                then coalesce(weight_row.value_weight, 0) else 0 end
            + case when components.satisfaction_score is not null
                then coalesce(weight_row.satisfaction_weight, 0) else 0 end
            + case when components.advocacy_score is not null
                then coalesce(weight_row.advocacy_weight, 0) else 0 end,
            0
        ) as loyalty_score
    from components
    cross join weight_row
),

tiered as (
    select
        composite.guest_id,
        tiers.score_tier,
        row_number() over (
            partition by composite.guest_id order by tiers.min_score desc
        ) as tier_order
    from composite
    inner join tiers on round(composite.loyalty_score, 1) >= tiers.min_score
),

final as (
    select
        composite.guest_id,
        round(composite.engagement_score, 1) as engagement_score,
        round(composite.loyalty_component_score, 1) as loyalty_component_score,
        round(composite.value_score, 1) as value_score,
        round(composite.satisfaction_score, 1) as satisfaction_score,
        round(composite.advocacy_score, 1) as advocacy_score,
        round(composite.loyalty_score, 1) as loyalty_score,
        tiered.score_tier,
        context.as_of_date
    from composite
    cross join context
    left join tiered on composite.guest_id = tiered.guest_id and tiered.tier_order = 1
)

select * from final
