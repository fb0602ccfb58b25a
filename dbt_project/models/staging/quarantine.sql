{# Every bronze row that failed typing or a rule, with the rule, so nothing is silently lost. #}
with
stays as (
    select 'stays' as entity, _batch_id, _source_file, _row_number, failed_rule
    from {{ ref('base_bronze__stays') }} where failed_rule is not null
),

bookings as (
    select 'bookings' as entity, _batch_id, _source_file, _row_number, failed_rule
    from {{ ref('base_bronze__bookings') }} where failed_rule is not null
),

guests as (
    select 'guests' as entity, _batch_id, _source_file, _row_number, failed_rule
    from {{ ref('base_bronze__guests') }} where failed_rule is not null
),

engagement_events as (
    select 'engagement_events' as entity, _batch_id, _source_file, _row_number, failed_rule
    from {{ ref('base_bronze__engagement_events') }} where failed_rule is not null
),

final as (
    select * from stays
    union all select * from bookings
    union all select * from guests
    union all select * from engagement_events
)

select * from final
