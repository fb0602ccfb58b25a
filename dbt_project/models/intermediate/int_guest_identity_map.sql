{#
  Identity resolution: one guest_id per person across duplicate profiles and source systems.

  Nodes sharing a match key (int_guest_identity_keys) are the same person; a person is a
  connected component of that graph. SQL has no loops, so components are found by a fixed
  number of min-label propagation rounds (var identity_rounds, default 4): each round every
  node takes the smallest label among the nodes it shares a key with. After r rounds a node
  holds the smallest label within r key-hops, which covers every component of diameter <= r;
  duplicates come in small clusters (2-3 profiles), so 4 rounds converge. The singular test
  assert_identity_converged fails loudly if a larger cluster ever needs more rounds.

  The resolved guest_id is the smallest label in the component. A node's label is its source
  guest id (prefixed with the system only when two systems use the same id for different
  nodes), ordered first by system (the system with most profiles first), so a person keeps
  their id in the main system, single-source data keeps its ids, and the same input always
  resolves to the same ids.
#}
{%- set rounds = var('identity_rounds', 4) | int %}
with
keys as (select * from {{ ref('int_guest_identity_keys') }}),

node_keys as (
    select distinct node_id, match_key from keys where match_key is not null
),

labels_0 as (
    select node_id, min(own_label) as label from keys group by node_id
),
{% for round in range(1, rounds + 1) %}
key_labels_{{ round }} as (
    select node_keys.match_key, min(labels_{{ round - 1 }}.label) as label
    from node_keys
    inner join labels_{{ round - 1 }} on node_keys.node_id = labels_{{ round - 1 }}.node_id
    group by node_keys.match_key
),

labels_{{ round }} as (
    select
        labels_{{ round - 1 }}.node_id,
        least(
            labels_{{ round - 1 }}.label,
            coalesce(min(key_labels_{{ round }}.label), labels_{{ round - 1 }}.label)
        ) as label
    from labels_{{ round - 1 }}
    left join node_keys on labels_{{ round - 1 }}.node_id = node_keys.node_id
    left join key_labels_{{ round }} on node_keys.match_key = key_labels_{{ round }}.match_key
    group by labels_{{ round - 1 }}.node_id, labels_{{ round - 1 }}.label
),
{% endfor %}
rule_priority as (
    select 'email' as match_rule, 1 as priority
    union all select 'phone' as match_rule, 2 as priority
    union all select 'phone_name' as match_rule, 3 as priority
    union all select 'name_birth_date' as match_rule, 4 as priority
),

matched_rules as (
    select keys.node_id, min(rule_priority.priority) as priority
    from keys
    inner join rule_priority on keys.match_rule = rule_priority.match_rule
    group by keys.node_id
),

references_seen as (
    select distinct source_system, source_guest_id, node_id, own_label, is_shared_id from keys
),

final as (
    select
        references_seen.source_system,
        references_seen.source_guest_id,
        substr(labels_{{ rounds }}.label, 5) as guest_id,
        case
            when references_seen.own_label <> labels_{{ rounds }}.label
                then rule_priority.match_rule
            when references_seen.is_shared_id then 'shared_source_id'
            else 'source_id'
        end as match_rule
    from references_seen
    inner join labels_{{ rounds }} on references_seen.node_id = labels_{{ rounds }}.node_id
    left join matched_rules on references_seen.node_id = matched_rules.node_id
    left join rule_priority on matched_rules.priority = rule_priority.priority
)

select * from final
