{{ config(contract={'enforced': true}) }}

{#- The KPI scorecard (docs/kpis.md#the-kpi_scorecard-contract): every KPI row of every family
    with its target, status and the value and status of the previous period of the same
    grain. The KPI rows arrive typed (kpi_rows_final); only what is computed here is cast. -#}
with kpi_rows as (

    select {{ kpi_row_columns() | join(', ') }}
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

-- A target naming the row's segment wins over the KPI-wide target (empty segment). The
-- previous period of the same grain starts 1 (month, ttm), 3 (quarter) or 12 (year) months
-- earlier; for surveys it is the previous wave; campaign windows have none.
rows_with_targets as (

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
        end as direction,
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
    left join kpi_targets as segment_targets
        on
            kpi_rows.kpi_code = segment_targets.kpi_code
            and kpi_rows.segment_type = segment_targets.segment_type
            and kpi_rows.segment_value = segment_targets.segment_value
    left join kpi_targets as kpi_wide_targets
        on
            kpi_rows.kpi_code = kpi_wide_targets.kpi_code
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
        previous_period_start,
        is_complete_period,
        is_suppressed
    from rows_with_targets

),

-- The previous period's row of the same KPI, grain and segment gives previous_value and
-- previous_status (null when that row does not exist).
final as (

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
        cast(current_rows.target_value as {{ type_double() }}) as target_value,
        cast(current_rows.status as {{ dbt.type_string() }}) as status,
        previous_rows.value as previous_value,
        cast(previous_rows.status as {{ dbt.type_string() }}) as previous_status,
        current_rows.is_complete_period,
        current_rows.is_suppressed,
        -- An addition to the spec's columns (last, so the spec's order is kept): the currency
        -- of money values, for BI tools that show a value without reading the docs.
        {{ currency_code_of('current_rows.unit') }} as currency_code
    from rows_with_status as current_rows
    left join rows_with_status as previous_rows
        on
            current_rows.kpi_code = previous_rows.kpi_code
            and current_rows.period_grain = previous_rows.period_grain
            and current_rows.segment_type = previous_rows.segment_type
            and current_rows.segment_value = previous_rows.segment_value
            and current_rows.previous_period_start = previous_rows.period_start

)

select * from final
