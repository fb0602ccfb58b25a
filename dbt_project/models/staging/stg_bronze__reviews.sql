with
checked as (select * from {{ ref('base_bronze__reviews') }}),

final as (
    select
        review_id,
        guest_id,
        source_system,
        stay_id,
        review_source,
        review_text,
        nps,
        rating,
        submitted_at,
        cast(submitted_at as date) as submitted_date,
        _batch_id
    from checked
    where failed_rule is null
)

select * from final
