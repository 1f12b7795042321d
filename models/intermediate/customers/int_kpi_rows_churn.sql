{#- KPI rows of churn_rate, revenue_churn_rate and net_revenue_retention
    (docs/kpis.md#churn-and-retention): one row per KPI, published month and segment. Only
    the customers active at the start of the month enter these KPIs; each counts with its whole MRR
    in its one plan, product line and customer segment at the start of the month. -#}
with calendar_months as (

    select month_start, month_end, is_complete_period from {{ ref('int_calendar_months') }}

),

customer_mrr_monthly as (

    select
        month_start,
        customer_id,
        is_churned,
        mrr_at_start,
        mrr_at_next_start,
        churned_mrr + contraction_mrr as lost_mrr,
        plan_id_at_start,
        product_line_at_start,
        customer_segment
    from {{ ref('int_customer_mrr_monthly') }}
    where is_active_at_start

),

customer_segments as (

    {{ unpivot('customer_mrr_monthly', ['segment_type', 'segment_value'], [
        ["'plan'", "coalesce(plan_id_at_start, 'unknown')"],
        ["'product_line'", "coalesce(product_line_at_start, 'unknown')"],
        ["'customer_segment'", "coalesce(customer_segment, 'unknown')"],
    ], keep=['month_start', 'is_churned', 'mrr_at_start', 'mrr_at_next_start', 'lost_mrr']) }}

),

total_retention as (

    select
        calendar_months.month_start,
        'total' as segment_type,
        'all' as segment_value,
        count(customer_mrr_monthly.customer_id) as customers_at_start,
        coalesce(
            sum(case when customer_mrr_monthly.is_churned then 1 else 0 end), 0
        ) as churned_customers,
        coalesce(sum(customer_mrr_monthly.mrr_at_start), 0) as mrr_at_start,
        coalesce(sum(customer_mrr_monthly.lost_mrr), 0) as lost_mrr,
        coalesce(sum(customer_mrr_monthly.mrr_at_next_start), 0) as retained_mrr
    from calendar_months
    left join customer_mrr_monthly
        on calendar_months.month_start = customer_mrr_monthly.month_start
    group by calendar_months.month_start

),

segment_retention as (

    select
        month_start,
        segment_type,
        segment_value,
        count(*) as customers_at_start,
        sum(case when is_churned then 1 else 0 end) as churned_customers,
        sum(mrr_at_start) as mrr_at_start,
        sum(lost_mrr) as lost_mrr,
        sum(mrr_at_next_start) as retained_mrr
    from customer_segments
    group by month_start, segment_type, segment_value

),

retention as (

    {{ union_all(['total_retention', 'segment_retention'], [
        'month_start', 'segment_type', 'segment_value', 'customers_at_start',
        'churned_customers', 'mrr_at_start', 'lost_mrr', 'retained_mrr',
    ]) }}

),

kpi_inputs as (

    {{ unpivot('retention', ['kpi_code', 'numerator', 'denominator'], [
        ["'churn_rate'", 'churned_customers', 'customers_at_start'],
        ["'revenue_churn_rate'", 'lost_mrr', 'mrr_at_start'],
        ["'net_revenue_retention'", 'retained_mrr', 'mrr_at_start'],
    ], keep=['month_start', 'segment_type', 'segment_value']) }}

),

final as (

    {{ kpi_rows_final('kpi_inputs', calendar='calendar_months', unit="'percent'",
        value='numerator / nullif(denominator, 0) * 100') }}

)

select * from final
