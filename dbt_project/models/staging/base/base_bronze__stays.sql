{#
  Every bronze stay (folio), typed once, with the first rule it fails (null: passes). Money is
  converted into the reporting currency (seed exchange_rates); `source_currency` and
  `exchange_rate` keep what the export said. Plausibility rules (macros/plausibility.sql)
  follow the typing rules; the money bound needs the other rules' survivors, so it is checked
  in a second pass.
#}
with
source as (select * from {{ cleaned_bronze('stays') }}),

room_type_aliases as (select * from {{ ref('room_type_aliases') }}),

properties as (select property_id from {{ ref('properties') }}),

{{ reporting_rates('rates') }},

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
        source.property_id as raw_property_id,
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
        typed.*,
        coalesce(
            typed.source_stay_id,
            md5(concat_ws('|', typed.source_system, typed.guest_id,
                cast(typed.check_in_date as varchar), typed.property_id,
                cast(typed.total_revenue as varchar)))
        ) as stay_id,
        rates.to_reporting,
        rates.reporting_currency,
        properties.property_id is not null as is_known_property
    from typed
    left join rates on typed.currency = rates.currency
    left join properties on typed.property_id = properties.property_id
),

first_pass as (
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
            {{ implausible_date_rules('check_in_date', 'check_in_date') }}
            when check_out_date is not null and {{ is_placeholder_year('check_out_date') }}
                then 'check_out_date_placeholder'
            when nights > {{ var('max_nights', 365) }}
                or {{ days_between('check_in_date', 'check_out_date') }}
                    > {{ var('max_nights', 365) }}
                then 'nights_out_of_range'
            when nights <> {{ days_between('check_in_date', 'check_out_date') }}
                then 'nights_disagree_with_dates'
            when coalesce(room_revenue, 0) + coalesce(fnb_revenue, 0) + coalesce(spa_revenue, 0)
                + coalesce(other_revenue, 0) > total_revenue * 1.01 + 1
                then 'revenue_split_exceeds_total'
            when raw_property_id is not null and not is_known_property then 'property_unknown'
            when to_reporting is null then 'currency_unknown'
        end as first_rule
    from keyed
),

{{ money_bounds(
    'revenue_bounds',
    '(select * from first_pass where first_rule is null)',
    'total_revenue * to_reporting / greatest(coalesce(nights, '
        ~ days_between('check_in_date', 'check_out_date') ~ ', 1), 1)',
    ['_batch_id', '_source_file', '_row_number']) }},

bounded as (
    select
        first_pass.*,
        revenue_bounds.log_rate,
        revenue_bounds.upper_log_rate
    from first_pass
    left join revenue_bounds
        on first_pass._batch_id = revenue_bounds._batch_id
        and first_pass._source_file = revenue_bounds._source_file
        and first_pass._row_number = revenue_bounds._row_number
),

checked as (
    select
        *,
        case
            when first_rule is not null then first_rule
            when log_rate > upper_log_rate then 'revenue_out_of_range'
            when {{ is_superseded('stay_id') }} then 'duplicate_key'
        end as failed_rule
    from bounded
),

final as (
    select
        stay_id,
        booking_id,
        guest_id,
        source_system,
        property_id,
        room_type,
        reporting_currency as currency,
        currency as source_currency,
        to_reporting as exchange_rate,
        nights,
        room_revenue * to_reporting as room_revenue,
        fnb_revenue * to_reporting as fnb_revenue,
        spa_revenue * to_reporting as spa_revenue,
        other_revenue * to_reporting as other_revenue,
        total_revenue * to_reporting as total_revenue,
        is_upgraded,
        had_service_failure,
        check_in_date,
        check_out_date,
        failed_rule,
        {{ bronze_lineage_columns() }}
    from checked
)

select * from final
