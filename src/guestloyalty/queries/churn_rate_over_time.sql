-- Observed churn rate and mean future revenue per labeled snapshot (what really happened).
-- Above Settings.max_labeled_rows the labeled snapshots hold a hash sample of guests:
-- guests and total_future_revenue are then scaled up by sample_weight (estimates).
-- @param min_stays integer = 1 : only guests with at least this many stays before the snapshot
-- @requires guest_feature_snapshots
select
    snapshot_date,
    cast(round(sum(sample_weight)) as bigint) as guests,
    round(avg(churned), 4) as churn_rate,
    round(avg(future_revenue), 2) as mean_future_revenue,
    round(sum(future_revenue * sample_weight), 2) as total_future_revenue
from guest_feature_snapshots
where is_labeled and stays_count >= $min_stays
group by snapshot_date
order by snapshot_date
