{#- KPI rows of the engagement family (kpis.md section 9): engagement_score and
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

{# Suppressed groups publish no number: numerator and denominator (so value) are null. #}
kpi_inputs as (

    {{ union_all_branches(
        columns=[
            'kpi_code', 'survey_date', 'segment_type', 'segment_value',
            'numerator', 'denominator', 'value_multiplier', 'unit', 'is_suppressed',
        ],
        branches=[
            {'from': 'engagement_groups', 'kpi_code': "'engagement_score'",
                'numerator': 'case when not is_suppressed then score_sum end',
                'denominator': 'case when not is_suppressed then response_count end',
                'value_multiplier': '1.0', 'unit': "'score'"},
            {'from': 'engagement_groups', 'kpi_code': "'engagement_favorable_pct'",
                'numerator': 'case when not is_suppressed then favorable_response_count end',
                'denominator': 'case when not is_suppressed then response_count end',
                'value_multiplier': '100.0', 'unit': "'percent'"},
        ],
    ) }}

),

final as (

    {{ kpi_rows_final(
        'kpi_inputs',
        period_start='kpi_inputs.survey_date',
        period_end='kpi_inputs.survey_date',
        period_grain="'survey'",
        value_input='kpi_inputs.value_multiplier',
        value='numerator * value_input / nullif(denominator, 0)',
        is_complete_period='kpi_inputs.survey_date <= reporting_window.as_of_date',
        is_suppressed='kpi_inputs.is_suppressed',
        join='cross join reporting_window',
    ) }}

)

select * from final
