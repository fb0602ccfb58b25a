{# Every bronze stated preference, typed once, with the first rule it fails (null: passes). #}
{%- set typed -%}
    select
        guest_id,
        coalesce(source_system, 'default') as source_system,
        lower(preference_type) as preference_type,
        preference_value,
        {{ safe_timestamp('updated_at') }} as updated_at,
        updated_at as raw_updated_at,
        {{ bronze_lineage_columns() }}
    from source
{%- endset -%}

{{ base_bronze(
    'preferences',
    typed=typed,
    rules=[
        ('guest_id_blank', "guest_id is null"),
        ('preference_type_blank', "preference_type is null"),
        ('preference_type_unknown',
            "preference_type not in ('room', 'floor', 'pillow', 'dining', 'amenity')"),
        ('preference_value_blank', "preference_value is null"),
        ('updated_at_unparseable', "raw_updated_at is not null and updated_at is null"),
        ('duplicate_key',
            "row_number() over ("
            ~ " partition by source_system, guest_id, preference_type"
            ~ " order by updated_at desc nulls last, _loaded_at desc, _row_number desc"
            ~ " ) > 1")
    ],
    columns=[
        'guest_id', 'source_system', 'preference_type', 'preference_value', 'updated_at'
    ]
) }}
