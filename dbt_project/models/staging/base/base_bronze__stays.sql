{# Every bronze stay (folio), typed once, with the first rule it fails (null: passes). #}
with
source as (select * from {{ cleaned_bronze('stays') }}),

room_type_aliases as (select * from {{ ref('room_type_aliases') }}),

typed as (
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
),

keyed as (
    select
        *,
        coalesce(
            source_stay_id,
            md5(concat_ws('|', source_system, guest_id, cast(check_in_date as varchar),
                property_id, cast(total_revenue as varchar)))
        ) as stay_id
    from typed
),

checked as (
    select
        *,
        case
            when guest_id is null then 'guest_id_blank'
            when raw_check_in_date is null then 'check_in_date_blank'
            when check_in_date is null then 'check_in_date_unparseable'
            when raw_total_revenue is null then 'total_revenue_blank'
            when total_revenue is null then 'total_revenue_not_a_number'
            when total_revenue < 0 then 'total_revenue_negative'
            when raw_check_out_date is not null and check_out_date is null
                then 'check_out_date_unparseable'
            when check_out_date < check_in_date then 'check_out_before_check_in'
            when raw_nights is not null and nights is null then 'nights_not_a_number'
            when nights < 0 then 'nights_negative'
            when room_revenue < 0 or fnb_revenue < 0 or spa_revenue < 0 or other_revenue < 0
                then 'revenue_split_negative'
            when {{ is_superseded('stay_id') }} then 'duplicate_key'
        end as failed_rule
    from keyed
),

final as (
    select
        stay_id,
        booking_id,
        guest_id,
        source_system,
        property_id,
        room_type,
        currency,
        nights,
        room_revenue,
        fnb_revenue,
        spa_revenue,
        other_revenue,
        total_revenue,
        is_upgraded,
        had_service_failure,
        check_in_date,
        check_out_date,
        failed_rule,
        {{ bronze_lineage_columns() }}
    from checked
)

select * from final
