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

    {{ unpivot('engagement_groups', ['kpi_code', 'numerator', 'value_multiplier', 'unit'], [
        ["'engagement_score'", 'score_sum', '1.0', "'score'"],
        ["'engagement_favorable_pct'", 'favorable_response_count', '100.0', "'percent'"],
    ], keep=[
        'survey_date', 'segment_type', 'segment_value', 'response_count as denominator',
        'is_suppressed',
    ]) }}

),

{# Suppressed groups publish no number: numerator and denominator (so value) are null. #}
final as (

    {{ kpi_rows_final('kpi_inputs', period_grain="'survey'",
        period_start='kpi_inputs.survey_date', period_end='kpi_inputs.survey_date',
        numerator='case when not kpi_inputs.is_suppressed then kpi_inputs.numerator end',
        denominator='case when not kpi_inputs.is_suppressed then kpi_inputs.denominator end',
        value_input='kpi_inputs.value_multiplier',
        value='numerator * value_input / nullif(denominator, 0)',
        is_complete_period='kpi_inputs.survey_date <= reporting_window.as_of_date',
        is_suppressed='kpi_inputs.is_suppressed', join='cross join reporting_window') }}

)

select * from final
