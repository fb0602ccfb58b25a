{#
  Identity resolution: one guest_id per person across duplicate profiles and source systems.

  Nodes sharing a match key (int_guest_identity_keys) are the same person; a person is a
  connected component of that graph. SQL has no loops, so components are found by a fixed
  number of min-label propagation rounds (var identity_rounds, default 4): each round every
  node takes the smallest label among the nodes it shares a key with. After r rounds a node
  holds the smallest label within r key-hops, which covers every component of diameter <= r;
  duplicates come in small clusters (2-3 profiles), so 4 rounds converge. The singular test
  assert_identity_converged fails loudly if a larger cluster ever needs more rounds.

  The resolved guest_id is the smallest label in the component. A node's own label is its
  source guest id (prefixed with the system only when two named systems use the same id), so
  single-source data keeps its ids, and the same input always resolves to the same ids.
#}
{%- set rounds = var('identity_rounds', 4) | int %}
with
keys as (select * from {{ ref('int_guest_identity_keys') }}),

node_keys as (
    select node_id, match_key from keys where match_key is not null
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
nodes as (
    select distinct node_id, source_system, source_guest_id, own_label from keys
),

rule_priority as (
    select 'email' as match_rule, 1 as priority
    union all select 'phone', 2
    union all select 'name_birth_date', 3
    union all select 'shared_source_id', 4
),

matched_rules as (
    select keys.node_id, min(rule_priority.priority) as priority
    from keys
    inner join rule_priority on keys.match_rule = rule_priority.match_rule
    group by keys.node_id
),

final as (
    select
        nodes.source_system,
        nodes.source_guest_id,
        labels_{{ rounds }}.label as guest_id,
        case
            when nodes.own_label = labels_{{ rounds }}.label then 'source_id'
            else rule_priority.match_rule
        end as match_rule
    from nodes
    inner join labels_{{ rounds }} on nodes.node_id = labels_{{ rounds }}.node_id
    left join matched_rules on nodes.node_id = matched_rules.node_id
    left join rule_priority on matched_rules.priority = rule_priority.priority
)

select * from final
