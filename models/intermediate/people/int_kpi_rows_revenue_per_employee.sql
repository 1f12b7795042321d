{#- KPI rows of revenue_per_employee (docs/kpis.md#revenue-per-employee): revenue of the month /
    average FTE of the month, for total/all (every published month), department/<department> (total
    revenue over the department's average FTE; departments with FTE > 0) and
    product_line/<product_line> (revenue of the product line's invoices over the average FTE
    of the employees assigned to it; product lines with FTE > 0 or any invoice, void
    included, issued in the month). -#}
with calendar_months as (

    select month_start, month_end, days_in_month, is_complete_period
    from {{ ref('int_calendar_months') }}

),

invoices as (

    select invoice_id, product_line, issued_on, is_void, amount
    from {{ ref('int_invoices_converted') }}

),

fte_monthly as (

    select month_start, department, product_line, fte_days
    from {{ ref('int_workforce_fte_monthly') }}

),

invoices_monthly as (

    select
        cast({{ dbt.date_trunc('month', 'issued_on') }} as date) as month_start,
        product_line,
        is_void,
        amount
    from invoices

),

revenue_total as (

    select
        month_start,
        sum(amount) as revenue
    from invoices_monthly
    where not is_void
    group by month_start

),

{# Every product line with an invoice row in the month, void included, and its revenue
    (non-void invoices only; 0 when all its invoices are void). #}
revenue_by_product_line as (

    select
        month_start,
        product_line,
        sum(case when is_void then 0 else amount end) as revenue
    from invoices_monthly
    where product_line is not null
    group by month_start, product_line

),

fte_days_total as (

    select
        month_start,
        sum(fte_days) as fte_days
    from fte_monthly
    group by month_start

),

fte_days_by_department as (

    select
        month_start,
        department,
        sum(fte_days) as fte_days
    from fte_monthly
    where department is not null
    group by month_start, department
    having sum(fte_days) > 0

),

fte_days_by_product_line as (

    select
        month_start,
        product_line,
        sum(fte_days) as fte_days
    from fte_monthly
    where product_line is not null
    group by month_start, product_line
    having sum(fte_days) > 0

),

total_rows as (

    select
        calendar_months.month_start,
        'total' as segment_type,
        'all' as segment_value,
        coalesce(revenue_total.revenue, 0) as revenue,
        coalesce(fte_days_total.fte_days, 0) as fte_days
    from calendar_months
    left join revenue_total
        on calendar_months.month_start = revenue_total.month_start
    left join fte_days_total
        on calendar_months.month_start = fte_days_total.month_start

),

department_rows as (

    select
        fte_days_by_department.month_start,
        'department' as segment_type,
        fte_days_by_department.department as segment_value,
        coalesce(revenue_total.revenue, 0) as revenue,
        fte_days_by_department.fte_days
    from fte_days_by_department
    left join revenue_total
        on fte_days_by_department.month_start = revenue_total.month_start

),

product_line_rows as (

    select
        coalesce(
            revenue_by_product_line.month_start, fte_days_by_product_line.month_start
        ) as month_start,
        'product_line' as segment_type,
        coalesce(
            revenue_by_product_line.product_line, fte_days_by_product_line.product_line
        ) as segment_value,
        coalesce(revenue_by_product_line.revenue, 0) as revenue,
        coalesce(fte_days_by_product_line.fte_days, 0) as fte_days
    from revenue_by_product_line
    full outer join fte_days_by_product_line
        on
            revenue_by_product_line.month_start = fte_days_by_product_line.month_start
            and revenue_by_product_line.product_line = fte_days_by_product_line.product_line

),

segment_rows as (

    {{ union_all(
        ['total_rows', 'department_rows', 'product_line_rows'],
        ['month_start', 'segment_type', 'segment_value', 'revenue', 'fte_days'],
    ) }}

),

segment_measures as (

    select
        calendar_months.month_start,
        calendar_months.month_end,
        calendar_months.is_complete_period,
        segment_rows.segment_type,
        segment_rows.segment_value,
        cast(segment_rows.revenue as {{ type_double() }}) as revenue,
        cast(segment_rows.fte_days as {{ type_double() }})
        / calendar_months.days_in_month as average_fte
    from segment_rows
    inner join calendar_months
        on segment_rows.month_start = calendar_months.month_start

),

final as (

    {{ kpi_rows_final('segment_measures', kpi_code="'revenue_per_employee'", unit="'currency'",
        period_start='segment_measures.month_start', period_end='segment_measures.month_end',
        numerator='segment_measures.revenue', denominator='segment_measures.average_fte') }}

)

select * from final
