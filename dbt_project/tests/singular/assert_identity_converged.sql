-- Every match key resolves to one guest_id; otherwise var('identity_rounds') is too small
-- for a cluster of duplicates in this data (see int_guest_identity_map).
{{ config(severity='error') }}
select keys.match_key, count(distinct map.guest_id) as guest_ids
from {{ ref('int_guest_identity_keys') }} as keys
inner join {{ ref('int_guest_identity_map') }} as map
    on keys.source_system = map.source_system
    and keys.source_guest_id = map.source_guest_id
where keys.match_key is not null
group by keys.match_key
having count(distinct map.guest_id) > 1
