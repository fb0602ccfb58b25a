{#
  Every bronze stay (folio), typed once, with the first rule it fails (null: passes). Money is
  converted into the reporting currency (seed exchange_rates); `source_currency` and
  `exchange_rate` keep what the export said. The plausibility rules (macros/plausibility.sql)
  follow the typing rules; the revenue bound is a second pass over the rows that passed them.
#}
{%- set typed -%}
    select
        source.stay_id as source_stay_id,
        source.booking_id,
        source.guest_id,
        coalesce(source.source_system, 'default') as source_system,
        source.property_id,
        coalesce(room_type_aliases.room_type, upper(source.room_type)) as room_type,
        upper(coalesce(source.currency, 'EUR')) as currency,
        {{ safe_number('source.nights', 'integer') }} as nights,
        {{ safe_number('source.room_revenue') }} as room_revenue,
        {{ safe_number('source.fnb_revenue') }} as fnb_revenue,
        {{ safe_number('source.spa_revenue') }} as spa_revenue,
        {{ safe_number('source.other_revenue') }} as other_revenue,
        {{ safe_number('source.total_revenue') }} as total_revenue,
        {{ safe_bool('source.is_upgraded') }} as is_upgraded,
        {{ safe_bool('source.had_service_failure') }} as had_service_failure,
        {{ safe_date('source.check_in_date') }} as check_in_date,
        {{ safe_date('source.check_out_date') }} as check_out_date,
        source.property_id as raw_property_id,
        rates.to_reporting,
        rates.reporting_currency,
        properties.property_id is not null as is_known_property,
        source.check_in_date as raw_check_in_date,
        source.check_out_date as raw_check_out_date,
        source.total_revenue as raw_total_revenue,
        source.nights as raw_nights,
        {{ bronze_lineage_columns('source') }}
    from source
    left join room_type_aliases on lower(source.room_type) = room_type_aliases.alias
    left join rates on upper(coalesce(source.currency, 'EUR')) = rates.currency
    left join properties on source.property_id = properties.property_id
{%- endset -%}

{{ base_bronze(
    'stays',
    imports=[
        ('room_type_aliases', ref('room_type_aliases')),
        ('properties', ref('properties')),
        ('rates', reporting_rates())
    ],
    typed=typed,
    surrogate_key=('stay_id', [
        "source_system",
        "guest_id",
        "cast(check_in_date as string)",
        "property_id",
        "cast(total_revenue as string)"
    ]),
    rules=[
        ('guest_id_blank', "guest_id is null"),
        ('check_in_date_blank', "raw_check_in_date is null"),
        ('check_in_date_unparseable', "check_in_date is null"),
        ('total_revenue_blank', "raw_total_revenue is null"),
        ('total_revenue_not_a_number', "total_revenue is null"),
        ('total_revenue_negative', "total_revenue < 0"),
        ('check_out_date_unparseable', "raw_check_out_date is not null and check_out_date is null"),
        ('check_out_before_check_in', "check_out_date < check_in_date"),
        ('nights_not_a_number', "raw_nights is not null and nights is null"),
        ('nights_negative', "nights < 0"),
        ('revenue_split_negative',
            "room_revenue < 0 or fnb_revenue < 0 or spa_revenue < 0 or other_revenue < 0")
    ] + implausible_date_rules('check_in_date', 'check_in_date') + [
        ('check_out_date_placeholder',
            "check_out_date is not null and " ~ is_placeholder_year('check_out_date')),
        ('nights_out_of_range',
            "nights > " ~ var('max_nights', 365) ~ " or "
            ~ days_between('check_in_date', 'check_out_date') ~ " > " ~ var('max_nights', 365)),
        ('nights_disagree_with_dates',
            "nights <> " ~ days_between('check_in_date', 'check_out_date')),
        ('revenue_split_exceeds_total',
            "coalesce(room_revenue, 0) + coalesce(fnb_revenue, 0) + coalesce(spa_revenue, 0)"
            ~ " + coalesce(other_revenue, 0) > total_revenue * 1.01 + 1"),
        ('property_unknown', "raw_property_id is not null and not is_known_property"),
        ('currency_unknown', "to_reporting is null")
    ],
    money_bound=('revenue_out_of_range',
        "total_revenue * to_reporting / greatest(coalesce(nights, "
        ~ days_between('check_in_date', 'check_out_date') ~ ", 1), 1)"),
    late_rules=[('duplicate_key', is_superseded('stay_id'))],
    columns=[
        'stay_id', 'booking_id', 'guest_id', 'source_system', 'property_id', 'room_type',
        'reporting_currency as currency', 'currency as source_currency',
        'to_reporting as exchange_rate', 'nights',
        'room_revenue * to_reporting as room_revenue',
        'fnb_revenue * to_reporting as fnb_revenue',
        'spa_revenue * to_reporting as spa_revenue',
        'other_revenue * to_reporting as other_revenue',
        'total_revenue * to_reporting as total_revenue',
        'is_upgraded', 'had_service_failure', 'check_in_date', 'check_out_date'
    ]
) }}
