{# Every bronze stay (folio), typed once, with the first rule it fails (null: passes). #}
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
        source.check_in_date as raw_check_in_date,
        source.check_out_date as raw_check_out_date,
        source.total_revenue as raw_total_revenue,
        source.nights as raw_nights,
        {{ bronze_lineage_columns('source') }}
    from source
    left join room_type_aliases on lower(source.room_type) = room_type_aliases.alias
{%- endset -%}

{{ base_bronze(
    'stays',
    imports=[('room_type_aliases', ref('room_type_aliases'))],
    typed=typed,
    surrogate_key=('stay_id', [
        "source_system",
        "guest_id",
        "cast(check_in_date as varchar)",
        "property_id",
        "cast(total_revenue as varchar)"
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
            "room_revenue < 0 or fnb_revenue < 0 or spa_revenue < 0 or other_revenue < 0"),
        ('duplicate_key', is_superseded('stay_id'))
    ],
    columns=[
        'stay_id', 'booking_id', 'guest_id', 'source_system', 'property_id', 'room_type',
        'currency', 'nights', 'room_revenue', 'fnb_revenue', 'spa_revenue', 'other_revenue',
        'total_revenue', 'is_upgraded', 'had_service_failure', 'check_in_date',
        'check_out_date'
    ]
) }}
