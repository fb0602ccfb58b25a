{#
  Loyalty scorecard at as_of: one row per guest with a stay.

  Five components, each 0-100: the mean of its inputs' mid-rank percentiles among all guests
  (macro percentile_ranks; inputs where lower is better are ranked descending). A component whose
  source entity is absent from the data (no engagement export, no reviews, ...) is null, and
  so is an input a guest has no value for. The composite loyalty_score is the weighted mean of
  the components present (weights: seed loyalty_score_weights); score_tier is the highest tier
  of seed loyalty_score_tiers whose min_score the composite reaches.
#}
{#- input: (expression over current_features, lower is better, entity flag or none) #}
{%- set ranked_inputs = {
    'email_open_rate': ('coalesce(current_features.email_open_rate_180d, 0)', false,
        'coverage.has_engagement_events'),
    'email_clicks': ('current_features.email_clicks_180d', false,
        'coverage.has_engagement_events'),
    'sessions': ('current_features.sessions_90d', false, 'coverage.has_engagement_events'),
    'engagement_recency': ('coalesce(current_features.days_since_last_engagement, 100000)', true,
        'coverage.has_engagement_events'),
    'stays': ('current_features.stays_count', false, none),
    'tenure': ('current_features.days_since_first_stay', false, none),
    'recent_stays': ('current_features.stays_last_365d', false, none),
    'tier': ('coalesce(current_features.loyalty_tier_rank, 0)', false,
        'coverage.has_loyalty_transactions'),
    'direct_share': ('current_features.direct_booking_share', false, 'coverage.has_bookings'),
    'lifetime_revenue': ('current_features.lifetime_revenue', false, none),
    'recent_revenue': ('current_features.revenue_last_365d', false, none),
    'daily_rate': ('current_features.avg_daily_rate', false, none),
    'ancillary': ('current_features.ancillary_share', false, none),
    'rating': ('current_features.avg_rating', false, 'coverage.has_reviews'),
    'nps': ('current_features.last_nps', false, 'coverage.has_reviews'),
    'sentiment': ('current_features.avg_review_sentiment', false, 'coverage.has_reviews'),
    'negative_topics': ('current_features.unresolved_negative_topics', true,
        'coverage.has_reviews'),
    'service_failures': ('current_features.service_failures_count', true,
        'coverage.has_reviews or coverage.has_special_requests'),
    'complaints': ('current_features.complaints_count', true, 'coverage.has_special_requests'),
    'reviews': ('current_features.reviews_count', false, 'coverage.has_reviews'),
    'social': ('current_features.social_actions_365d', false, 'coverage.has_engagement_events'),
} %}
with
features as (select * from {{ ref('guest_feature_snapshots') }}),

context as (select * from {{ ref('run_context') }}),

coverage as (select * from {{ ref('int_source_coverage') }}),

weights as (select * from {{ ref('loyalty_score_weights') }}),

tiers as (select * from {{ ref('loyalty_score_tiers') }}),

-- only the columns ranked: every window below carries the columns it is given
current_features as (
    select
        features.guest_id,
        features.email_open_rate_180d,
        features.email_clicks_180d,
        features.sessions_90d,
        features.days_since_last_engagement,
        features.stays_count,
        features.days_since_first_stay,
        features.stays_last_365d,
        features.loyalty_tier_rank,
        features.direct_booking_share,
        features.lifetime_revenue,
        features.revenue_last_365d,
        features.avg_daily_rate,
        features.ancillary_share,
        features.avg_rating,
        features.last_nps,
        features.avg_review_sentiment,
        features.unresolved_negative_topics,
        features.service_failures_count,
        features.complaints_count,
        features.reviews_count,
        features.social_actions_365d
    from features
    inner join context on features.snapshot_date = context.current_snapshot_date
),

{%- for name, (expression, descending, flag) in ranked_inputs.items() %}
{{ percentile_ranks(name ~ '_ranks', 'current_features', expression, descending=descending) }},
{% endfor %}
-- one percentile per input: engagement, loyalty, value, satisfaction, advocacy (nps and
-- review sentiment serve satisfaction and advocacy); null where the hotel does not export the input's entity
inputs as (
    select
        current_features.guest_id,
        {%- for name, (expression, descending, flag) in ranked_inputs.items() %}
        {%- if flag %}
        case when {{ flag }} then {{ name }}_ranks.percentile end as {{ name }}_pct
        {%- else %}
        {{ name }}_ranks.percentile as {{ name }}_pct
        {%- endif %}{{ ',' if not loop.last }}
        {%- endfor %}
    from current_features
    cross join coverage
    {%- for name, (expression, descending, flag) in ranked_inputs.items() %}
    left join {{ name }}_ranks on {{ expression }} = {{ name }}_ranks.value
    {%- endfor %}
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
        100 * {{ mean_of_present(['rating_pct', 'nps_pct', 'sentiment_pct',
            'service_failures_pct', 'complaints_pct', 'negative_topics_pct']) }}
            as satisfaction_score,
        100 * {{ mean_of_present(['nps_pct', 'sentiment_pct', 'reviews_pct', 'social_pct']) }}
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
    inner join tiers on {{ guestloyalty.round_to("composite.loyalty_score", 1) }} >= tiers.min_score
),

final as (
    select
        composite.guest_id,
        {{ guestloyalty.round_to("composite.engagement_score", 1) }} as engagement_score,
        {{ guestloyalty.round_to("composite.loyalty_component_score", 1) }} as loyalty_component_score,
        {{ guestloyalty.round_to("composite.value_score", 1) }} as value_score,
        {{ guestloyalty.round_to("composite.satisfaction_score", 1) }} as satisfaction_score,
        {{ guestloyalty.round_to("composite.advocacy_score", 1) }} as advocacy_score,
        {{ guestloyalty.round_to("composite.loyalty_score", 1) }} as loyalty_score,
        tiered.score_tier,
        context.as_of_date
    from composite
    cross join context
    left join tiered on composite.guest_id = tiered.guest_id and tiered.tier_order = 1
)

select * from final
