{#
  Quarantined rows per entity and rule, next to the entity's bronze rows: what status, the
  report and the plausibility gate read. Entities with nothing quarantined have no row.
#}
with
quarantine as (select * from {{ ref('quarantine') }}),

reconciliation as (select * from {{ ref('int_bronze_reconciliation') }}),

by_rule as (
    select
        entity,
        failed_rule,
        count(*) as quarantined_rows
    from quarantine
    group by entity, failed_rule
),

final as (
    select
        by_rule.entity,
        by_rule.failed_rule,
        by_rule.quarantined_rows,
        reconciliation.bronze_rows
    from by_rule
    inner join reconciliation on by_rule.entity = reconciliation.entity
)

select * from final
