{#- One row per engagement survey wave (survey_date) and group (total/all, department/<d>,
    dimension/<d>): respondents, responses, score sum, favourable responses and the
    anonymity flags (threshold, then complementary suppression within each breakdown). -#}
{%- set group_columns = [
    'survey_date', 'segment_type', 'segment_value', 'respondent_count', 'response_count',
    'score_sum', 'favorable_response_count', 'is_below_threshold',
] -%}

with engagement_responses as (

    select
        response_id,
        survey_date,
        respondent_id,
        department,
        dimension,
        score
    from {{ ref('stg_hr__engagement_responses') }}

),

responses_by_group as (

    {{ unpivot('engagement_responses', ['segment_type', 'segment_value'], [
        ["'total'", "'all'"],
        ["'department'", 'department'],
        ["'dimension'", 'dimension'],
    ], keep=['survey_date', 'respondent_id', 'score']) }}

),

group_totals as (

    select
        survey_date,
        segment_type,
        segment_value,
        count(distinct respondent_id) as respondent_count,
        count(*) as response_count,
        sum(score) as score_sum,
        sum(case when score >= 4 then 1 else 0 end) as favorable_response_count,
        count(distinct respondent_id)
        < {{ var('engagement_min_respondents') }} as is_below_threshold
    from responses_by_group
    group by survey_date, segment_type, segment_value

),

breakdown_ranks as (

    select
        {{ group_columns | join(',\n        ') }},
        sum(case when is_below_threshold then 1 else 0 end) over (
            partition by survey_date, segment_type
        ) as below_threshold_group_count,
        row_number() over (
            partition by survey_date, segment_type, is_below_threshold
            order by respondent_count asc, response_count asc, segment_value asc
        ) as size_rank_among_peers
    from group_totals

),

complementary_flags as (

    select
        {{ group_columns | join(',\n        ') }},
        (
            segment_type != 'total'
            and not is_below_threshold
            and below_threshold_group_count = 1
            and size_rank_among_peers = 1
        ) as is_complementary_suppressed
    from breakdown_ranks

),

final as (

    select
        {{ group_columns | join(',\n        ') }},
        is_complementary_suppressed,
        is_below_threshold or is_complementary_suppressed as is_suppressed
    from complementary_flags

)

select * from final
