-- Every match key resolves to one guest_id; otherwise var('identity_rounds') is too small
-- for a cluster of duplicates in this data (see int_guest_identity_map).
{{ config(severity='error') }}
select identity_keys.match_key, count(distinct identity_map.guest_id) as guest_ids
from {{ ref('int_guest_identity_keys') }} as identity_keys
inner join {{ ref('int_guest_identity_map') }} as identity_map
    on identity_keys.source_system = identity_map.source_system
    and identity_keys.source_guest_id = identity_map.source_guest_id
where identity_keys.match_key is not null
group by identity_keys.match_key
having count(distinct identity_map.guest_id) > 1
