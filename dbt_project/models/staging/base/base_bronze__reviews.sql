{# Every bronze review, typed once, with the first rule it fails (null: passes). #}
{%- set typed -%}
    select
        review_id as source_review_id,
        guest_id,
        coalesce(source_system, 'default') as source_system,
        stay_id,
        {{ safe_timestamp('submitted_at') }} as submitted_at,
        {{ safe_number('nps', 'integer') }} as nps,
        {{ safe_number('rating', 'integer') }} as rating,
        lower(source) as review_source,
        review_text,
        submitted_at as raw_submitted_at,
        nps as raw_nps,
        rating as raw_rating,
        {{ bronze_lineage_columns() }}
    from source
{%- endset -%}

{{ base_bronze(
    'reviews',
    typed=typed,
    surrogate_key=('review_id', [
        "source_system",
        "guest_id",
        "cast(submitted_at as string)",
        "stay_id",
        "cast(nps as string)",
        "cast(rating as string)",
        "review_source"
    ]),
    rules=[
        ('guest_id_blank', "guest_id is null"),
        ('submitted_at_blank', "raw_submitted_at is null"),
        ('submitted_at_unparseable', "submitted_at is null")
    ] + implausible_date_rules('cast(submitted_at as date)', 'submitted_at') + [
        ('nps_not_a_number', "raw_nps is not null and nps is null"),
        ('nps_out_of_range', "nps < 0 or nps > 10"),
        ('rating_not_a_number', "raw_rating is not null and rating is null"),
        ('rating_out_of_range', "rating < 1 or rating > 5"),
        ('duplicate_key', is_superseded('review_id'))
    ],
    columns=[
        'review_id', 'guest_id', 'source_system', 'stay_id', 'review_source', 'review_text',
        'nps', 'rating', 'submitted_at'
    ]
) }}
