{#- KPI rows of nps (docs/kpis.md#net-promoter-score): one row per published month and segment.
    Responses are dated by the UTC month of responded_at; promoters score 9-10, detractors 0-6. -#}
with calendar_months as (

    select month_start, month_end, is_complete_period from {{ ref('int_calendar_months') }}

),

nps_responses as (

    select response_id, customer_id, responded_at, score, touchpoint
    from {{ ref('stg_crm__nps_responses') }}

),

customers as (

    select customer_id, segment from {{ ref('stg_crm__customers') }}

),

classified_responses as (

    select
        cast({{ dbt.date_trunc('month', 'nps_responses.responded_at') }} as date) as month_start,
        nps_responses.touchpoint,
        customers.segment as customer_segment,
        case when nps_responses.score >= 9 then 1 else 0 end as is_promoter,
        case when nps_responses.score <= 6 then 1 else 0 end as is_detractor
    from nps_responses
    left join customers
        on nps_responses.customer_id = customers.customer_id

),

segmented_responses as (

    {{ unpivot('classified_responses', ['segment_type', 'segment_value'], [
        ["'touchpoint'", "coalesce(touchpoint, 'unknown')"],
        ["'customer_segment'", "coalesce(customer_segment, 'unknown')"],
    ], keep=['month_start', 'is_promoter', 'is_detractor']) }}

),

total_scores as (

    select
        calendar_months.month_start,
        'total' as segment_type,
        'all' as segment_value,
        count(classified_responses.month_start) as responses,
        coalesce(sum(classified_responses.is_promoter), 0) as promoters,
        coalesce(sum(classified_responses.is_detractor), 0) as detractors
    from calendar_months
    left join classified_responses
        on calendar_months.month_start = classified_responses.month_start
    group by calendar_months.month_start

),

segment_scores as (

    select
        month_start,
        segment_type,
        segment_value,
        count(*) as responses,
        sum(is_promoter) as promoters,
        sum(is_detractor) as detractors
    from segmented_responses
    group by month_start, segment_type, segment_value

),

scores as (

    {{ union_all(['total_scores', 'segment_scores'], [
        'month_start', 'segment_type', 'segment_value', 'responses', 'promoters', 'detractors',
    ]) }}

),

final as (

    {{ kpi_rows_final('scores', calendar='calendar_months', kpi_code="'nps'", unit="'score'",
        numerator='scores.promoters - scores.detractors', denominator='scores.responses',
        value='numerator / nullif(denominator, 0) * 100') }}

)

select * from final
