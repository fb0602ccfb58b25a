{# Every bronze loyalty transaction, typed once, with the first rule it fails (null: passes). #}
{%- set typed -%}
    select
        source.transaction_id as source_transaction_id,
        source.guest_id,
        coalesce(source.source_system, 'default') as source_system,
        lower(source.transaction_type) as transaction_type,
        {{ safe_timestamp('source.occurred_at') }} as occurred_at,
        {{ safe_number('source.points', 'integer') }} as points,
        coalesce(tiers.tier, lower(source.tier)) as tier,
        tiers.tier_rank,
        source.reward,
        source.stay_id,
        source.occurred_at as raw_occurred_at,
        source.points as raw_points,
        {{ bronze_lineage_columns('source') }}
    from source
    left join tiers on lower(source.tier) = tiers.alias
{%- endset -%}

{{ base_bronze(
    'loyalty_transactions',
    imports=[('tiers', ref('loyalty_tier_aliases'))],
    typed=typed,
    surrogate_key=('transaction_id', [
        "source_system",
        "guest_id",
        "transaction_type",
        "cast(occurred_at as string)",
        "cast(points as string)",
        "tier",
        "stay_id"
    ]),
    rules=[
        ('guest_id_blank', "guest_id is null"),
        ('transaction_type_blank', "transaction_type is null"),
        ('transaction_type_unknown',
            "transaction_type not in ('earn', 'redeem', 'expire', 'adjust', 'tier_change')"),
        ('occurred_at_blank', "raw_occurred_at is null"),
        ('occurred_at_unparseable', "occurred_at is null")
    ] + implausible_date_rules('cast(occurred_at as date)', 'occurred_at') + [
        ('points_not_a_number', "raw_points is not null and points is null"),
        ('tier_blank', "transaction_type = 'tier_change' and tier is null"),
        ('duplicate_key', is_superseded('transaction_id'))
    ],
    columns=[
        'transaction_id', 'guest_id', 'source_system', 'transaction_type', 'tier', 'reward',
        'stay_id', 'points', 'tier_rank', 'occurred_at'
    ]
) }}
