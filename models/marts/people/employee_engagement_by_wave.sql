{{ config(contract={'enforced': true}) }}

{#- One row per engagement survey wave and group (total, department, dimension), wide:
    counts, mean score and favourable share side by side; suppressed groups show nulls. -#}
with engagement_groups as (

    select
        survey_date as period_start,
        segment_type,
        segment_value,
        respondent_count,
        response_count,
        favorable_response_count,
        is_suppressed
    from {{ ref('int_engagement_groups') }}

),

scores as (

    {{ select_kpi_rows('int_kpi_rows_engagement', 'engagement_score', value='engagement_score') }}

),

favorable_shares as (

    {{ select_kpi_rows(
        'int_kpi_rows_engagement', 'engagement_favorable_pct', value='favorable_pct'
    ) }}

),

final as (

    select
        engagement_groups.period_start as survey_date,
        cast(engagement_groups.segment_type as {{ dbt.type_string() }}) as segment_type,
        cast(engagement_groups.segment_value as {{ dbt.type_string() }}) as segment_value,
        {#- A suppressed group shows null counts. #}
        {%- set counts = ['respondent_count', 'response_count', 'favorable_response_count'] %}
        {%- for count_column in counts %}
            cast(
                case
                    when not engagement_groups.is_suppressed
                        then engagement_groups.{{ count_column }}
                end
                as {{ dbt.type_bigint() }}
            ) as {{ count_column }},
        {%- endfor %}
        scores.engagement_score,
        favorable_shares.favorable_pct,
        engagement_groups.is_suppressed,
        scores.is_complete_period
    from engagement_groups
    inner join scores
        on {{ keys_equal('engagement_groups', 'scores') }}
    inner join favorable_shares
        on {{ keys_equal('engagement_groups', 'favorable_shares') }}

)

select * from final
