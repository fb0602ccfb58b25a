{# The identity crosswalk in gold: ids and rules only, no PII. #}
with
identity_map as (select * from {{ ref('int_guest_identity_map') }}),

final as (
    select
        source_system,
        source_guest_id,
        guest_id,
        match_rule
    from identity_map
)

select * from final
