{#
  Identity nodes and their match keys. A node is one (source_system, source_guest_id) seen in
  any entity. Keys (keyed hashes, never raw PII):
    email            normalised email of a profile
    phone            E.164-ish phone of a profile
    name_birth_date  lower-case first name | last name | birth date of a profile
    shared_source_id the same guest id in a row without a source system ('default') and in a
                     named system (e.g. a stays export of the PMS's ids)
  A key shared by more than var('identity_max_key_group') nodes is ignored: a shared mailbox
  or a switchboard number is not a person.
#}
with
profiles as (select * from {{ ref('stg_bronze__guests') }}),

referenced as (
    select source_system, guest_id from profiles
    union
    select source_system, guest_id from {{ ref('stg_bronze__stays') }}
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
),

nodes as (
    select
        source_system,
        guest_id as source_guest_id,
        concat(source_system, '|', guest_id) as node_id
    from referenced
),

systems_per_id as (
    select
        source_guest_id,
        count(distinct case when source_system <> 'default' then source_system end)
            as named_systems,
        count(*) as nodes,
        max(case when source_system = 'default' then 1 else 0 end) as has_default
    from nodes
    group by source_guest_id
),

candidate_keys as (
    select concat(source_system, '|', guest_id) as node_id, 'email' as match_rule,
        concat('email:', email_hash) as match_key
    from profiles where email_hash is not null
    union all
    select concat(source_system, '|', guest_id), 'phone', concat('phone:', phone_hash)
    from profiles where phone_hash is not null
    union all
    select concat(source_system, '|', guest_id), 'name_birth_date',
        concat('name_birth_date:', name_birth_date_hash)
    from profiles where name_birth_date_hash is not null
    union all
    select nodes.node_id, 'shared_source_id', concat('id:', nodes.source_guest_id)
    from nodes
    inner join systems_per_id on nodes.source_guest_id = systems_per_id.source_guest_id
    where systems_per_id.nodes > 1 and systems_per_id.has_default = 1
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
        nodes.node_id,
        nodes.source_system,
        nodes.source_guest_id,
        case
            when systems_per_id.named_systems <= 1 then nodes.source_guest_id
            else concat(nodes.source_system, ':', nodes.source_guest_id)
        end as own_label,
        valid_keys.match_rule,
        valid_keys.match_key
    from nodes
    inner join systems_per_id on nodes.source_guest_id = systems_per_id.source_guest_id
    left join valid_keys on nodes.node_id = valid_keys.node_id
)

select * from final
