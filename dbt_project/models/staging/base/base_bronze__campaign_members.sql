{# Every bronze campaign member, typed once, with the first rule it fails (null: passes). #}
{%- set typed -%}
    select
        cast(null as string) as source_member_id,
        campaign_id,
        guest_id,
        coalesce(source_system, 'default') as source_system,
        lower(assigned_group) as assigned_group,
        {{ safe_timestamp('assigned_at') }} as assigned_at,
        assigned_at as raw_assigned_at,
        campaign_name,
        offer_id,
        {{ safe_number('window_days', 'integer') }} as window_days,
        window_days as raw_window_days,
        {{ safe_number('offer_cost') }} as offer_cost,
        offer_cost as raw_offer_cost,
        upper(currency) as currency,
        selected_from,
        {{ bronze_lineage_columns() }}
    from source
{%- endset -%}

{{ base_bronze(
    'campaign_members',
    typed=typed,
    surrogate_key=('member_id', [
        "source_system",
        "campaign_id",
        "guest_id"
    ]),
    rules=[
        ('campaign_id_blank', "campaign_id is null"),
        ('guest_id_blank', "guest_id is null"),
        ('assigned_group_blank', "assigned_group is null"),
        ('assigned_group_unknown', "assigned_group not in ('treatment', 'control')"),
        ('assigned_at_blank', "raw_assigned_at is null"),
        ('assigned_at_unparseable', "assigned_at is null")
    ] + implausible_date_rules('cast(assigned_at as date)', 'assigned_at') + [
        ('window_days_unparseable', "raw_window_days is not null and window_days is null"),
        ('window_days_out_of_range', "window_days < 1 or window_days > 730"),
        ('offer_cost_unparseable', "raw_offer_cost is not null and offer_cost is null"),
        ('offer_cost_negative', "offer_cost < 0"),
        ('duplicate_key', is_superseded('member_id'))
    ],
    columns=[
        'member_id', 'campaign_id', 'guest_id', 'source_system', 'assigned_group', 'assigned_at',
        'campaign_name', 'offer_id', 'window_days', 'offer_cost', 'currency', 'selected_from'
    ]
) }}
