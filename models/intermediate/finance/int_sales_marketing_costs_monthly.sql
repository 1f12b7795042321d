{#- One row per published month: the sales and marketing cost of the CAC
    (docs/kpis.md#customer-acquisition-cost), in the reporting currency, split into its three
    parts. -#}
with calendar_months as (

    select month_start from {{ ref('int_calendar_months') }}

),

ad_spend as (

    select spend_month, spend from {{ ref('int_ad_spend_converted') }}

),

expenses as (

    select booked_month, amount from {{ ref('int_expenses_converted') }}

),

payroll as (

    select pay_month, department, payroll_cost from {{ ref('int_payroll_converted') }}

),

ad_spend_monthly as (

    select
        spend_month as month_start,
        sum(spend) as ad_spend
    from ad_spend
    group by spend_month

),

expenses_monthly as (

    select
        booked_month as month_start,
        sum(amount) as expenses
    from expenses
    group by booked_month

),

sales_marketing_payroll_monthly as (

    select
        pay_month as month_start,
        sum(payroll_cost) as payroll_cost
    from payroll
    where department in ('sales', 'marketing')
    group by pay_month

),

final as (

    select
        calendar_months.month_start,
        coalesce(ad_spend_monthly.ad_spend, 0) as ad_spend,
        coalesce(expenses_monthly.expenses, 0) as expenses,
        coalesce(sales_marketing_payroll_monthly.payroll_cost, 0) as payroll_cost,
        coalesce(ad_spend_monthly.ad_spend, 0)
        + coalesce(expenses_monthly.expenses, 0)
        + coalesce(sales_marketing_payroll_monthly.payroll_cost, 0) as sales_marketing_cost
    from calendar_months
    left join ad_spend_monthly
        on calendar_months.month_start = ad_spend_monthly.month_start
    left join expenses_monthly
        on calendar_months.month_start = expenses_monthly.month_start
    left join sales_marketing_payroll_monthly
        on calendar_months.month_start = sales_marketing_payroll_monthly.month_start

)

select * from final
