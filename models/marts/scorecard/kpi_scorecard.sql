{{ config(contract={'enforced': true}) }}

{#- The KPI scorecard (docs/kpis.md#the-kpi_scorecard-contract): every KPI row of every family
    with its target, status and the value of the previous period of the same grain. -#}
with kpi_rows as (

    select
        kpi_code,
        period_start,
        period_end,
        period_grain,
        segment_type,
        segment_value,
        numerator,
        denominator,
        value,
        unit,
        is_complete_period,
        is_suppressed
    from {{ ref('int_kpi_rows_unioned') }}

),

kpi_targets as (

    select
        kpi_code,
        segment_type,
        segment_value,
        target_value,
        warning_value,
        direction
    from {{ ref('kpi_targets') }}

),

-- Survey KPIs compare with the previous wave of the same KPI, whatever the segment.
survey_waves as (

    select distinct
        kpi_code,
        period_start
    from kpi_rows
    where period_grain = 'survey'

),

previous_survey_waves as (

    select
        kpi_code,
        period_start,
        lag(period_start) over (
            partition by kpi_code
            order by period_start
        ) as previous_period_start
    from survey_waves

),

rows_with_previous_start as (

    select
        kpi_rows.kpi_code,
        kpi_rows.period_start,
        kpi_rows.period_end,
        kpi_rows.period_grain,
        kpi_rows.segment_type,
        kpi_rows.segment_value,
        kpi_rows.numerator,
        kpi_rows.denominator,
        kpi_rows.value,
        kpi_rows.unit,
        kpi_rows.is_complete_period,
        kpi_rows.is_suppressed,
        case
            when kpi_rows.period_grain in ('month', 'ttm')
                then cast({{ dbt.dateadd('month', -1, 'kpi_rows.period_start') }} as date)
            when kpi_rows.period_grain = 'quarter'
                then cast({{ dbt.dateadd('month', -3, 'kpi_rows.period_start') }} as date)
            when kpi_rows.period_grain = 'year'
                then cast({{ dbt.dateadd('month', -12, 'kpi_rows.period_start') }} as date)
            when kpi_rows.period_grain = 'survey'
                then previous_survey_waves.previous_period_start
        end as previous_period_start
    from kpi_rows
    left join previous_survey_waves
        on
            kpi_rows.kpi_code = previous_survey_waves.kpi_code
            and kpi_rows.period_start = previous_survey_waves.period_start
            and kpi_rows.period_grain = 'survey'

),

rows_with_previous_value as (

    select
        current_rows.kpi_code,
        current_rows.period_start,
        current_rows.period_end,
        current_rows.period_grain,
        current_rows.segment_type,
        current_rows.segment_value,
        current_rows.numerator,
        current_rows.denominator,
        current_rows.value,
        current_rows.unit,
        current_rows.is_complete_period,
        current_rows.is_suppressed,
        previous_rows.value as previous_value
    from rows_with_previous_start as current_rows
    left join kpi_rows as previous_rows
        on
            current_rows.kpi_code = previous_rows.kpi_code
            and current_rows.period_grain = previous_rows.period_grain
            and current_rows.segment_type = previous_rows.segment_type
            and current_rows.segment_value = previous_rows.segment_value
            and current_rows.previous_period_start = previous_rows.period_start

),

-- A target naming the row's segment wins over the KPI-wide target (empty segment).
rows_with_targets as (

    select
        rows_with_previous_value.kpi_code,
        rows_with_previous_value.period_start,
        rows_with_previous_value.period_end,
        rows_with_previous_value.period_grain,
        rows_with_previous_value.segment_type,
        rows_with_previous_value.segment_value,
        rows_with_previous_value.numerator,
        rows_with_previous_value.denominator,
        rows_with_previous_value.value,
        rows_with_previous_value.unit,
        rows_with_previous_value.is_complete_period,
        rows_with_previous_value.is_suppressed,
        rows_with_previous_value.previous_value,
        case
            when segment_targets.kpi_code is not null then segment_targets.target_value
            else kpi_wide_targets.target_value
        end as target_value,
        case
            when segment_targets.kpi_code is not null then segment_targets.warning_value
            else kpi_wide_targets.warning_value
        end as warning_value,
        case
            when segment_targets.kpi_code is not null then segment_targets.direction
            else kpi_wide_targets.direction
        end as direction
    from rows_with_previous_value
    left join kpi_targets as segment_targets
        on
            rows_with_previous_value.kpi_code = segment_targets.kpi_code
            and rows_with_previous_value.segment_type = segment_targets.segment_type
            and rows_with_previous_value.segment_value = segment_targets.segment_value
    left join kpi_targets as kpi_wide_targets
        on
            rows_with_previous_value.kpi_code = kpi_wide_targets.kpi_code
            and kpi_wide_targets.segment_type is null
            and kpi_wide_targets.segment_value is null

),

rows_with_status as (

    select
        kpi_code,
        period_start,
        period_end,
        period_grain,
        segment_type,
        segment_value,
        numerator,
        denominator,
        value,
        unit,
        target_value,
        case
            when target_value is null or value is null then 'no_target'
            when direction = 'higher_is_better' and value >= target_value then 'on_track'
            when direction = 'higher_is_better' and value >= warning_value then 'at_risk'
            when direction = 'higher_is_better' then 'off_track'
            when direction = 'lower_is_better' and value <= target_value then 'on_track'
            when direction = 'lower_is_better' and value <= warning_value then 'at_risk'
            when direction = 'lower_is_better' then 'off_track'
            else 'no_target'
        end as status,
        previous_value,
        is_complete_period,
        is_suppressed
    from rows_with_targets

),

final as (

    select
        cast(kpi_code as {{ dbt.type_string() }}) as kpi_code,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        cast(period_grain as {{ dbt.type_string() }}) as period_grain,
        cast(segment_type as {{ dbt.type_string() }}) as segment_type,
        cast(segment_value as {{ dbt.type_string() }}) as segment_value,
        cast(numerator as double precision) as numerator,
        cast(denominator as double precision) as denominator,
        cast(value as double precision) as value,
        cast(unit as {{ dbt.type_string() }}) as unit,
        cast(target_value as double precision) as target_value,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(previous_value as double precision) as previous_value,
        cast(is_complete_period as boolean) as is_complete_period,
        cast(is_suppressed as boolean) as is_suppressed
    from rows_with_status

)

select * from final
