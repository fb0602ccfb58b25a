-- Predicted churn and value by email open-rate band (last 6 months).
-- @param bands integer = 5 : how many equal-width open-rate bands
-- @requires guest_feature_snapshots, guest_scores
with
current_features as (
    select guest_id, email_open_rate_180d
    from guest_feature_snapshots
    where not is_labeled
)

select
    case
        when current_features.email_open_rate_180d is null then 'no emails'
        else printf('%.0f%%-%.0f%%',
            100.0 * floor(least(current_features.email_open_rate_180d, 0.9999) * $bands) / $bands,
            100.0 * (floor(least(current_features.email_open_rate_180d, 0.9999) * $bands) + 1)
                / $bands)
    end as open_rate_band,
    count(*) as guests,
    round(avg(scores.churn_probability), 4) as mean_churn_probability,
    round(avg(scores.clv_horizon), 2) as mean_clv_horizon
from current_features
inner join guest_scores as scores on current_features.guest_id = scores.guest_id
group by 1
order by 1
