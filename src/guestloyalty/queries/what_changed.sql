-- What changed, in words: guests per lifecycle stage, moves since the last run, metrics off their history.
-- @param kind text = null : stage_count, stage_move or metric_move; null for all
-- @requires run_insights
select
    insight_rank,
    insight_kind,
    sentence,
    scope,
    subject,
    detail,
    insight_value,
    baseline_value,
    z_score
from run_insights
where $kind is null or insight_kind = $kind
order by insight_rank
