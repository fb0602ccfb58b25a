-- Pipeline runs, newest first: status, as_of, duration and the first line of any error.
-- @param limit_n integer = 20 : how many runs
-- @param status text = null : only runs with this status (succeeded, failed); null for all
-- @requires run_log
select
    run_id,
    status,
    as_of_date,
    started_at,
    finished_at,
    round(epoch(finished_at) - epoch(started_at), 1) as seconds,
    stage_seconds,
    message
from run_log
where $status is null or status = $status
order by started_at desc
limit $limit_n
