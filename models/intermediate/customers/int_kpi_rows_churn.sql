{#- KPI rows of churn_rate, revenue_churn_rate and net_revenue_retention (kpis.md §6): one row
    per KPI, published month and segment. Only the customers active at the start of the
    month enter these KPIs; each counts with its whole MRR in its one plan, product line and
    customer segment at the start of the month. -#}
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

    {{ union_all_branches(
        columns=[
            'month_start', 'segment_type', 'segment_value',
            'is_churned', 'mrr_at_start', 'mrr_at_next_start', 'lost_mrr',
        ],
        branches=[
            {'from': 'customer_mrr_monthly', 'segment_type': "'plan'",
                'segment_value': "coalesce(plan_id_at_start, 'unknown')"},
            {'from': 'customer_mrr_monthly', 'segment_type': "'product_line'",
                'segment_value': "coalesce(product_line_at_start, 'unknown')"},
            {'from': 'customer_mrr_monthly', 'segment_type': "'customer_segment'",
                'segment_value': "coalesce(customer_segment, 'unknown')"},
        ],
    ) }}

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

    {{ union_all_branches(
        columns=[
            'month_start', 'segment_type', 'segment_value', 'customers_at_start',
            'churned_customers', 'mrr_at_start', 'lost_mrr', 'retained_mrr',
        ],
        branches=[{'from': 'total_retention'}, {'from': 'segment_retention'}],
    ) }}

),

kpi_inputs as (

    {{ union_all_branches(
        columns=[
            'kpi_code', 'month_start', 'segment_type', 'segment_value',
            'numerator', 'denominator',
        ],
        branches=[
            {'from': 'retention', 'kpi_code': "'churn_rate'",
                'numerator': 'churned_customers', 'denominator': 'customers_at_start'},
            {'from': 'retention', 'kpi_code': "'revenue_churn_rate'",
                'numerator': 'lost_mrr', 'denominator': 'mrr_at_start'},
            {'from': 'retention', 'kpi_code': "'net_revenue_retention'",
                'numerator': 'retained_mrr', 'denominator': 'mrr_at_start'},
        ],
    ) }}

),

final as (

    {{ kpi_rows_final(
        'kpi_inputs',
        calendar='calendar_months',
        unit="'percent'",
        value='numerator / nullif(denominator, 0) * 100',
    ) }}

)

select * from final
