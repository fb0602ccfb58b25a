-- bronze rows = silver rows + quarantined rows, for every entity: nothing is silently lost.
select entity, bronze_rows, silver_rows, quarantined_rows
from {{ ref('int_bronze_reconciliation') }}
where bronze_rows <> silver_rows + quarantined_rows
