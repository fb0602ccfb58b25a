-- Guests most similar to one guest (standardised recency, frequency, value, engagement).
-- @param guest_id text = null : the guest to match; null picks the guest with the highest CLV
-- @param limit_n integer = 20 : how many similar guests
-- @requires guest_feature_snapshots, guest_scores
with
current_features as (
    select
        guest_id,
        cast(days_since_last_stay as double) as recency,
        cast(stays_count as double) as frequency,
        cast(avg_stay_revenue as double) as spend,
        cast(avg_nights as double) as nights,
        cast(coalesce(email_open_rate_180d, 0) as double) as engagement
    from guest_feature_snapshots
    where not is_labeled
),

stats as (
    select
        avg(recency) as recency_mean, nullif(stddev_pop(recency), 0) as recency_sd,
        avg(frequency) as frequency_mean, nullif(stddev_pop(frequency), 0) as frequency_sd,
        avg(spend) as spend_mean, nullif(stddev_pop(spend), 0) as spend_sd,
        avg(nights) as nights_mean, nullif(stddev_pop(nights), 0) as nights_sd,
        avg(engagement) as engagement_mean, nullif(stddev_pop(engagement), 0) as engagement_sd
    from current_features
),

standardised as (
    select
        current_features.guest_id,
        coalesce((recency - recency_mean) / recency_sd, 0) as recency_z,
        coalesce((frequency - frequency_mean) / frequency_sd, 0) as frequency_z,
        coalesce((spend - spend_mean) / spend_sd, 0) as spend_z,
        coalesce((nights - nights_mean) / nights_sd, 0) as nights_z,
        coalesce((engagement - engagement_mean) / engagement_sd, 0) as engagement_z
    from current_features
    cross join stats
),

target as (
    select standardised.*
    from standardised
    where standardised.guest_id = coalesce(
        $guest_id,
        (select guest_id from guest_scores order by clv_horizon desc, guest_id limit 1)
    )
)

select
    standardised.guest_id,
    target.guest_id as similar_to,
    round(sqrt(
        power(standardised.recency_z - target.recency_z, 2)
        + power(standardised.frequency_z - target.frequency_z, 2)
        + power(standardised.spend_z - target.spend_z, 2)
        + power(standardised.nights_z - target.nights_z, 2)
        + power(standardised.engagement_z - target.engagement_z, 2)
    ), 4) as distance,
    scores.segment,
    scores.churn_risk,
    round(scores.clv_horizon, 2) as clv_horizon
from standardised
cross join target
inner join guest_scores as scores on standardised.guest_id = scores.guest_id
where standardised.guest_id <> target.guest_id
order by distance, standardised.guest_id
limit $limit_n
