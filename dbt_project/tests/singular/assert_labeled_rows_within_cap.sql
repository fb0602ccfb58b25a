-- guest_feature_snapshots keeps at most var('max_labeled_rows') labeled rows (hash sample).
select count(*) as labeled_rows
from {{ ref('guest_feature_snapshots') }}
where is_labeled
having count(*) > {{ var('max_labeled_rows', 400000) | int }}
