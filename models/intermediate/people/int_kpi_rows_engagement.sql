{#- KPI rows of the engagement family (docs/kpis.md#employee-engagement): engagement_score and
    engagement_favorable_pct per survey wave and group, with suppressed groups published
    with null numerator, denominator and value. -#}
with engagement_groups as (

    select
        survey_date,
        segment_type,
        segment_value,
        response_count,
        score_sum,
        favorable_response_count,
        is_suppressed
    from {{ ref('int_engagement_groups') }}

),

reporting_window as (

    select as_of_date from {{ ref('int_reporting_window') }}

),

kpi_inputs as (

    select
        'engagement_score' as kpi_code,
        survey_date,
        segment_type,
        segment_value,
        cast(score_sum as double precision) as numerator,
        cast(response_count as double precision) as denominator,
        1.0 as value_multiplier,
        'score' as unit,
        is_suppressed
    from engagement_groups
    union all
    select
        'engagement_favorable_pct' as kpi_code,
        survey_date,
        segment_type,
        segment_value,
        cast(favorable_response_count as double precision) as numerator,
        cast(response_count as double precision) as denominator,
        100.0 as value_multiplier,
        'percent' as unit,
        is_suppressed
    from engagement_groups

),

final as (

    select
        cast(kpi_inputs.kpi_code as {{ dbt.type_string() }}) as kpi_code,
        cast(kpi_inputs.survey_date as date) as period_start,
        cast(kpi_inputs.survey_date as date) as period_end,
        cast('survey' as {{ dbt.type_string() }}) as period_grain,
        cast(kpi_inputs.segment_type as {{ dbt.type_string() }}) as segment_type,
        cast(kpi_inputs.segment_value as {{ dbt.type_string() }}) as segment_value,
        case
            when not kpi_inputs.is_suppressed then kpi_inputs.numerator
        end as numerator,
        case
            when not kpi_inputs.is_suppressed then kpi_inputs.denominator
        end as denominator,
        case
            when not kpi_inputs.is_suppressed and kpi_inputs.denominator != 0
                then kpi_inputs.numerator * kpi_inputs.value_multiplier / kpi_inputs.denominator
        end as value,
        cast(kpi_inputs.unit as {{ dbt.type_string() }}) as unit,
        kpi_inputs.survey_date <= reporting_window.as_of_date as is_complete_period,
        kpi_inputs.is_suppressed
    from kpi_inputs
    cross join reporting_window

)

select * from final
