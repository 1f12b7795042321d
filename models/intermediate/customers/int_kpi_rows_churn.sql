{#- KPI rows of churn_rate, revenue_churn_rate and net_revenue_retention
    (docs/kpis.md#churn-and-revenue-retention): one row per KPI, published month and segment. Only
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

    select
        month_start,
        'plan' as segment_type,
        coalesce(plan_id_at_start, 'unknown') as segment_value,
        is_churned,
        mrr_at_start,
        mrr_at_next_start,
        lost_mrr
    from customer_mrr_monthly
    union all
    select
        month_start,
        'product_line' as segment_type,
        coalesce(product_line_at_start, 'unknown') as segment_value,
        is_churned,
        mrr_at_start,
        mrr_at_next_start,
        lost_mrr
    from customer_mrr_monthly
    union all
    select
        month_start,
        'customer_segment' as segment_type,
        coalesce(customer_segment, 'unknown') as segment_value,
        is_churned,
        mrr_at_start,
        mrr_at_next_start,
        lost_mrr
    from customer_mrr_monthly

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

    select
        month_start,
        segment_type,
        segment_value,
        customers_at_start,
        churned_customers,
        mrr_at_start,
        lost_mrr,
        retained_mrr
    from total_retention
    union all
    select
        month_start,
        segment_type,
        segment_value,
        customers_at_start,
        churned_customers,
        mrr_at_start,
        lost_mrr,
        retained_mrr
    from segment_retention

),

kpi_inputs as (

    select
        'churn_rate' as kpi_code,
        month_start,
        segment_type,
        segment_value,
        cast(churned_customers as double precision) as numerator,
        cast(customers_at_start as double precision) as denominator
    from retention
    union all
    select
        'revenue_churn_rate' as kpi_code,
        month_start,
        segment_type,
        segment_value,
        cast(lost_mrr as double precision) as numerator,
        cast(mrr_at_start as double precision) as denominator
    from retention
    union all
    select
        'net_revenue_retention' as kpi_code,
        month_start,
        segment_type,
        segment_value,
        cast(retained_mrr as double precision) as numerator,
        cast(mrr_at_start as double precision) as denominator
    from retention

),

final as (

    select
        cast(kpi_inputs.kpi_code as {{ dbt.type_string() }}) as kpi_code,
        calendar_months.month_start as period_start,
        calendar_months.month_end as period_end,
        cast('month' as {{ dbt.type_string() }}) as period_grain,
        cast(kpi_inputs.segment_type as {{ dbt.type_string() }}) as segment_type,
        cast(kpi_inputs.segment_value as {{ dbt.type_string() }}) as segment_value,
        kpi_inputs.numerator,
        kpi_inputs.denominator,
        kpi_inputs.numerator / nullif(kpi_inputs.denominator, 0) * 100 as value,
        cast('percent' as {{ dbt.type_string() }}) as unit,
        calendar_months.is_complete_period,
        false as is_suppressed
    from kpi_inputs
    inner join calendar_months
        on kpi_inputs.month_start = calendar_months.month_start

)

select * from final
