{# Reviews on the resolved guest_id, with the NPS group (promoter 9-10, passive 7-8, detractor 0-6). #}
with
reviews as (select * from {{ ref('stg_bronze__reviews') }}),

identity_map as (select * from {{ ref('int_guest_identity_map') }}),

final as (
    select
        reviews.review_id,
        reviews.source_system,
        reviews.guest_id as source_guest_id,
        identity_map.guest_id,
        reviews.stay_id,
        reviews.review_source,
        reviews.nps,
        case
            when reviews.nps >= 9 then 'promoter'
            when reviews.nps >= 7 then 'passive'
            when reviews.nps >= 0 then 'detractor'
        end as nps_group,
        reviews.rating,
        reviews.submitted_at,
        reviews.submitted_date
    from reviews
    inner join identity_map
        on reviews.source_system = identity_map.source_system
        and reviews.guest_id = identity_map.source_guest_id
)

select * from final
