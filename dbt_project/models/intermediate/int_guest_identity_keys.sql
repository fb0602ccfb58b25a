{#
  Identity nodes and their match keys.

  Every (source_system, guest_id) seen in any entity is a *reference*; references resolve to
  *nodes*: the profile with that system and id; else the one profile system that has the id
  (a CRM event about a PMS guest id, a stays export without a source system); else, when no
  profile has the id, one node per id whatever system referenced it (stays-only data); else
  (two profile systems use the id, neither is this one) a node of its own.

  Keys (keyed hashes, never raw PII) link profile nodes that are the same person:
    email            normalised email
    phone            E.164-ish phone
    phone_name       national number (last 9 digits) + last name: the same phone written
                     without its country code
    name_birth_date  first name | last name | birth date
  A key shared by more than var('identity_max_key_group') nodes is ignored: a shared mailbox
  or a switchboard number is not a person. One row per (reference, key); references without
  keys have a null key.
#}
with
profiles as (select * from {{ ref('stg_bronze__guests') }}),

references_seen as (
    select source_system, guest_id from profiles
    union
    select source_system, guest_id from {{ ref('int_stays_unified') }}
    union
    select source_system, guest_id from {{ ref('stg_bronze__bookings') }}
    union
    select source_system, guest_id from {{ ref('stg_bronze__engagement_events') }}
    union
    select source_system, guest_id from {{ ref('stg_bronze__loyalty_transactions') }}
    union
    select source_system, guest_id from {{ ref('stg_bronze__reviews') }}
    union
    select source_system, guest_id from {{ ref('stg_bronze__preferences') }}
    union
    select source_system, guest_id
    from {{ ref('stg_bronze__special_requests') }}
    where guest_id is not null
    union
    select source_system, guest_id from {{ ref('stg_bronze__campaign_members') }}
),

profile_systems as (
    select
        guest_id,
        count(*) as profile_systems,
        min(source_system) as only_system
    from profiles
    group by guest_id
),

system_ranks as (
    select
        source_system,
        row_number() over (order by count(*) desc, source_system) as system_rank
    from profiles
    group by source_system
),

resolved_references as (
    select
        references_seen.source_system,
        references_seen.guest_id as source_guest_id,
        case
            when own_profile.guest_id is not null then references_seen.source_system
            when profile_systems.profile_systems = 1 then profile_systems.only_system
            when profile_systems.guest_id is null then '*'
            else references_seen.source_system
        end as node_system,
        own_profile.guest_id is null and profile_systems.profile_systems = 1 as is_shared_id
    from references_seen
    left join profiles as own_profile
        on references_seen.source_system = own_profile.source_system
        and references_seen.guest_id = own_profile.guest_id
    left join profile_systems on references_seen.guest_id = profile_systems.guest_id
),

nodes as (
    select distinct node_system, source_guest_id
    from resolved_references
),

labelled_nodes as (
    select
        nodes.node_system,
        nodes.source_guest_id,
        concat(nodes.node_system, '|', nodes.source_guest_id) as node_id,
        -- labels sort by system (most profiles first, profile-less ids last), then id; the
        -- 4-character prefix is cut off again in int_guest_identity_map
        concat(
            cast(100 + coalesce(system_ranks.system_rank, 899) as string), '|',
            case
                when count(*) over (partition by nodes.source_guest_id) = 1
                    then nodes.source_guest_id
                else concat(nodes.node_system, ':', nodes.source_guest_id)
            end
        ) as own_label
    from nodes
    left join system_ranks on nodes.node_system = system_ranks.source_system
),

candidate_keys as (
    select concat(source_system, '|', guest_id) as node_id, 'email' as match_rule,
        concat('email:', email_hash) as match_key
    from profiles where email_hash is not null
    union all
    select concat(source_system, '|', guest_id) as node_id, 'phone' as match_rule,
        concat('phone:', phone_hash) as match_key
    from profiles where phone_hash is not null
    union all
    select concat(source_system, '|', guest_id) as node_id, 'phone_name' as match_rule,
        concat('phone_name:', phone_name_hash) as match_key
    from profiles where phone_name_hash is not null
    union all
    select concat(source_system, '|', guest_id) as node_id, 'name_birth_date' as match_rule,
        concat('name_birth_date:', name_birth_date_hash) as match_key
    from profiles where name_birth_date_hash is not null
),

key_sizes as (
    select match_key, count(distinct node_id) as key_nodes
    from candidate_keys
    group by match_key
),

valid_keys as (
    select candidate_keys.node_id, candidate_keys.match_rule, candidate_keys.match_key
    from candidate_keys
    inner join key_sizes on candidate_keys.match_key = key_sizes.match_key
    where key_sizes.key_nodes between 2 and {{ var('identity_max_key_group', 10) | int }}
),

final as (
    select
        resolved_references.source_system,
        resolved_references.source_guest_id,
        labelled_nodes.node_id,
        labelled_nodes.own_label,
        resolved_references.is_shared_id,
        valid_keys.match_rule,
        valid_keys.match_key
    from resolved_references
    inner join labelled_nodes
        on resolved_references.node_system = labelled_nodes.node_system
        and resolved_references.source_guest_id = labelled_nodes.source_guest_id
    left join valid_keys on labelled_nodes.node_id = valid_keys.node_id
)

select * from final
