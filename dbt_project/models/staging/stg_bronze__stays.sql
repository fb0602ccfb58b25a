with
checked as (select * from {{ ref('base_bronze__stays') }}),

final as (
    select
        stay_id,
        booking_id,
        guest_id,
        source_system,
        property_id,
        room_type,
        currency,
        source_currency,
        coalesce(nights, {{ days_between('check_in_date', 'check_out_date') }}) as nights,
        room_revenue,
        fnb_revenue,
        spa_revenue,
        other_revenue,
        total_revenue,
        is_upgraded,
        had_service_failure,
        check_in_date,
        coalesce(check_out_date, {{ add_days('check_in_date', 'nights') }}) as check_out_date,
        _batch_id
    from checked
    where failed_rule is null
)

select * from final
