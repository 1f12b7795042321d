{{ config(contract={'enforced': true}) }}

{#- One row per engagement survey wave and group (total, department, dimension), wide:
    counts, mean score and favourable share side by side; suppressed groups show nulls. -#}
with engagement_groups as (

    select
        survey_date,
        segment_type,
        segment_value,
        respondent_count,
        response_count,
        favorable_response_count,
        is_suppressed
    from {{ ref('int_engagement_groups') }}

),

kpi_rows as (

    select
        kpi_code,
        period_start,
        segment_type,
        segment_value,
        value,
        is_complete_period
    from {{ ref('int_kpi_rows_engagement') }}

),

scores as (

    select
        period_start,
        segment_type,
        segment_value,
        value as engagement_score,
        is_complete_period
    from kpi_rows
    where kpi_code = 'engagement_score'

),

favorable_shares as (

    select
        period_start,
        segment_type,
        segment_value,
        value as favorable_pct
    from kpi_rows
    where kpi_code = 'engagement_favorable_pct'

),

final as (

    select
        engagement_groups.survey_date,
        cast(engagement_groups.segment_type as {{ dbt.type_string() }}) as segment_type,
        cast(engagement_groups.segment_value as {{ dbt.type_string() }}) as segment_value,
        cast(
            case
                when not engagement_groups.is_suppressed then engagement_groups.respondent_count
            end
            as {{ dbt.type_bigint() }}
        ) as respondent_count,
        cast(
            case
                when not engagement_groups.is_suppressed then engagement_groups.response_count
            end
            as {{ dbt.type_bigint() }}
        ) as response_count,
        cast(
            case
                when not engagement_groups.is_suppressed
                    then engagement_groups.favorable_response_count
            end
            as {{ dbt.type_bigint() }}
        ) as favorable_response_count,
        scores.engagement_score,
        favorable_shares.favorable_pct,
        engagement_groups.is_suppressed,
        scores.is_complete_period
    from engagement_groups
    inner join scores
        on
            engagement_groups.survey_date = scores.period_start
            and engagement_groups.segment_type = scores.segment_type
            and engagement_groups.segment_value = scores.segment_value
    inner join favorable_shares
        on
            engagement_groups.survey_date = favorable_shares.period_start
            and engagement_groups.segment_type = favorable_shares.segment_type
            and engagement_groups.segment_value = favorable_shares.segment_value

)

select * from final
