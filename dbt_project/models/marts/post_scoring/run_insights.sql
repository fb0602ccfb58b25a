{#
  What changed, in words: one sentence per row, and nothing else makes up a sentence
  (`guestloyalty status`, the pipeline summary and the report print these rows).

  - `stage_count`: guests per lifecycle stage now.
  - `stage_move`: guests who moved into slipping, lapsed or reactivated since the last run
    (guest_scores.previous_lifecycle_stage), in all and for the three segments and the three
    properties (the guest's most-stayed one) with the most such moves. None on a first run.
  - `metric_move`: the latest complete month of each property's business metrics against
    the twelve months before it. The test is stated and simple: a move is reported when the
    month is more than two standard deviations from the mean of those months (|z| > 2, at
    least six months of history); the five largest |z| are kept.
#}
with
context as (select * from {{ ref('run_context') }}),

scores as (select * from {{ source('scoring', 'guest_scores') }}),

profiles as (select guest_id, preferred_property_id from {{ ref('guest_360') }}),

metrics as (select * from {{ ref('business_metrics') }}),

stage_counts as (
    select
        'stage_count' as insight_kind,
        'all' as scope,
        lifecycle_stage as subject,
        cast(null as {{ dbt.type_string() }}) as detail,
        count(*) * 1.0 as insight_value,
        count(*) * 1.0 / sum(count(*)) over () as baseline_value,
        case lifecycle_stage
            when 'new' then 1 when 'active' then 2 when 'slipping' then 3 when 'lapsed' then 4
            when 'lost' then 5 else 6
        end as subject_order
    from scores
    group by lifecycle_stage
),

moves as (
    select
        scores.lifecycle_stage,
        scores.segment,
        coalesce(profiles.preferred_property_id, 'unknown') as property_id
    from scores
    left join profiles on scores.guest_id = profiles.guest_id
    where scores.previous_lifecycle_stage is not null
        and scores.lifecycle_stage <> scores.previous_lifecycle_stage
        and scores.lifecycle_stage in ('slipping', 'lapsed', 'reactivated')
),

moves_all as (
    select
        'stage_move' as insight_kind,
        'all' as scope,
        lifecycle_stage as subject,
        cast(null as {{ dbt.type_string() }}) as detail,
        count(*) * 1.0 as insight_value,
        cast(null as double) as baseline_value,
        0 as detail_rank
    from moves
    group by lifecycle_stage
),

{% for scope, column in [('segment', 'segment'), ('property', 'property_id')] %}
moves_by_{{ scope }} as (
    select
        'stage_move' as insight_kind,
        '{{ scope }}' as scope,
        lifecycle_stage as subject,
        {{ column }} as detail,
        moves_count * 1.0 as insight_value,
        cast(null as double) as baseline_value,
        detail_rank
    from (
        select
            lifecycle_stage,
            {{ column }},
            count(*) as moves_count,
            row_number() over (
                partition by lifecycle_stage order by count(*) desc, {{ column }}
            ) as detail_rank
        from moves
        group by lifecycle_stage, {{ column }}
    ) as ranked
    where detail_rank <= 3
),
{% endfor %}

latest_month as (
    select max(metrics.month_start) as month_start
    from metrics
    cross join context
    where cast({{ dbt.dateadd('month', 1, 'metrics.month_start') }} as date)
        <= {{ add_days('context.as_of_date', 1) }}
),

metric_values as (
    {% for metric in ['revenue', 'stays', 'average_daily_rate', 'repeat_guest_share',
                      'cancellation_rate'] %}
    select
        metrics.property_id,
        metrics.month_start,
        '{{ metric }}' as metric,
        cast(metrics.{{ metric }} as double) as metric_value
    from metrics
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

metric_tests as (
    select
        now_values.property_id,
        now_values.metric,
        now_values.metric_value,
        {{ guestloyalty.round_to("avg(history.metric_value)", 9) }} as history_mean,
        {{ guestloyalty.round_to("stddev_samp(history.metric_value)", 9) }} as history_sd,
        count(history.metric_value) as history_months
    from metric_values as now_values
    inner join latest_month on now_values.month_start = latest_month.month_start
    inner join metric_values as history
        on now_values.property_id = history.property_id
        and now_values.metric = history.metric
        and latest_month.month_start > history.month_start
        and cast({{ dbt.dateadd('month', -12, 'latest_month.month_start') }} as date)
            <= history.month_start
    where now_values.metric_value is not null
    group by now_values.property_id, now_values.metric, now_values.metric_value
),

metric_moves as (
    select
        'metric_move' as insight_kind,
        'property' as scope,
        metric as subject,
        property_id as detail,
        metric_value as insight_value,
        history_mean as baseline_value,
        (metric_value - history_mean) / history_sd as z_score,
        row_number() over (
            order by
                abs((metric_value - history_mean) / history_sd) desc,
                property_id asc,
                metric asc
        ) as move_rank
    from metric_tests
    where history_months >= 6
        and history_sd > 0
        and abs((metric_value - history_mean) / history_sd) > 2
),

sentences as (
    select
        insight_kind, scope, subject, detail, insight_value, baseline_value,
        cast(null as double) as z_score,
        subject_order * 10 as insight_order,
        {{ dbt.concat([
            "cast(cast(insight_value as bigint) as " ~ dbt.type_string() ~ ")",
            "' guests are '", "subject",
            "' ('", "cast(" ~ guestloyalty.round_to("100 * baseline_value", 1) ~ " as " ~ dbt.type_string() ~ ")",
            "'% of the scored guests)'"
        ]) }} as sentence
    from stage_counts
    union all
    select
        insight_kind, scope, subject, detail, insight_value, baseline_value,
        cast(null as double) as z_score,
        100 + detail_rank as insight_order,
        {{ dbt.concat([
            "cast(cast(insight_value as bigint) as " ~ dbt.type_string() ~ ")",
            "' guests moved into '", "subject", "' since the last run'"
        ]) }} as sentence
    from moves_all
    union all
    select
        insight_kind, scope, subject, detail, insight_value, baseline_value,
        cast(null as double) as z_score,
        110 + detail_rank as insight_order,
        {{ dbt.concat([
            "cast(cast(insight_value as bigint) as " ~ dbt.type_string() ~ ")",
            "' '", "detail", "' guests moved into '", "subject", "' since the last run'"
        ]) }} as sentence
    from moves_by_segment
    union all
    select
        insight_kind, scope, subject, detail, insight_value, baseline_value,
        cast(null as double) as z_score,
        120 + detail_rank as insight_order,
        {{ dbt.concat([
            "cast(cast(insight_value as bigint) as " ~ dbt.type_string() ~ ")",
            "' guests of property '", "detail", "' moved into '", "subject",
            "' since the last run'"
        ]) }} as sentence
    from moves_by_property
    union all
    select
        metric_moves.insight_kind, metric_moves.scope, metric_moves.subject,
        metric_moves.detail, metric_moves.insight_value, metric_moves.baseline_value,
        metric_moves.z_score,
        200 + metric_moves.move_rank as insight_order,
        {{ dbt.concat([
            "replace(metric_moves.subject, '_', ' ')", "' at '", "metric_moves.detail",
            "' in '",
            "substring(cast(latest_month.month_start as " ~ dbt.type_string() ~ "), 1, 7)",
            "': '", "cast(" ~ guestloyalty.round_to("metric_moves.insight_value", 2) ~ " as " ~ dbt.type_string() ~ ")",
            "case when metric_moves.insight_value > metric_moves.baseline_value then ', above' "
            ~ "else ', below' end",
            "' its 12-month mean of '",
            "cast(" ~ guestloyalty.round_to("metric_moves.baseline_value", 2) ~ " as " ~ dbt.type_string() ~ ")",
            "' (z = '", "cast(" ~ guestloyalty.round_to("metric_moves.z_score", 1) ~ " as " ~ dbt.type_string() ~ ")",
            "')'"
        ]) }} as sentence
    from metric_moves
    cross join latest_month
    where metric_moves.move_rank <= 5
),

final as (
    select
        row_number() over (order by sentences.insight_order, sentences.subject,
            sentences.detail) as insight_rank,
        sentences.insight_kind,
        sentences.scope,
        sentences.subject,
        sentences.detail,
        -- rounded: parallel sums may differ in the last bit between identical runs
        {{ guestloyalty.round_to("sentences.insight_value", 6) }} as insight_value,
        {{ guestloyalty.round_to("sentences.baseline_value", 6) }} as baseline_value,
        {{ guestloyalty.round_to("sentences.z_score", 4) }} as z_score,
        sentences.sentence,
        context.as_of_date
    from sentences
    cross join context
)

select * from final
