{# Every bronze review, typed once, with the first rule it fails (null: passes). #}
with
source as (select * from {{ cleaned_bronze('reviews') }}),

typed as (
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
),

keyed as (
    select
        *,
        coalesce(
            source_review_id,
            md5(concat_ws('|', source_system, guest_id, cast(submitted_at as varchar), stay_id,
                cast(nps as varchar), cast(rating as varchar), review_source))
        ) as review_id
    from typed
),

checked as (
    select
        *,
        case
            when guest_id is null then 'guest_id_blank'
            when raw_submitted_at is null then 'submitted_at_blank'
            when submitted_at is null then 'submitted_at_unparseable'
            {{ implausible_date_rules('cast(submitted_at as date)', 'submitted_at') }}
            when raw_nps is not null and nps is null then 'nps_not_a_number'
            when nps < 0 or nps > 10 then 'nps_out_of_range'
            when raw_rating is not null and rating is null then 'rating_not_a_number'
            when rating < 1 or rating > 5 then 'rating_out_of_range'
            when {{ is_superseded('review_id') }} then 'duplicate_key'
        end as failed_rule
    from keyed
),

final as (
    select
        review_id,
        guest_id,
        source_system,
        stay_id,
        review_source,
        review_text,
        nps,
        rating,
        submitted_at,
        failed_rule,
        {{ bronze_lineage_columns() }}
    from checked
)

select * from final
