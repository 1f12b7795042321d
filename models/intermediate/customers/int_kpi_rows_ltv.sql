{#- KPI rows of ltv and ltv_to_cac (docs/kpis.md#customer-lifetime-value): one row per KPI,
    published month M and segment, over the trailing-twelve-month window ending with M (clipped to
    the published months). ARPA, churn and CAC are pooled over the window's months. -#}
with calendar_months as (

    select month_start, month_end, is_complete_period from {{ ref('int_calendar_months') }}

),

customer_mrr_monthly as (

    select month_start, customer_id, is_churned, acquisition_channel
    from {{ ref('int_customer_mrr_monthly') }}
    where is_active_at_start

),

invoices as (

    select customer_id, issued_on, amount
    from {{ ref('int_invoices_converted') }}
    where not is_void

),

customers as (

    select customer_id, acquisition_channel from {{ ref('stg_crm__customers') }}

),

customers_acquired as (

    select customer_id, acquisition_month, acquisition_channel
    from {{ ref('int_customers_acquired') }}

),

sales_marketing_costs_monthly as (

    select month_start, sales_marketing_cost
    from {{ ref('int_sales_marketing_costs_monthly') }}

),

ad_spend as (

    select spend_month, channel, spend from {{ ref('int_ad_spend_converted') }}

),

{# Monthly facts per segment, one union branch per source; channel values missing
    upstream are reported as 'unknown'. #}
monthly_facts as (

    select
        month_start,
        coalesce(acquisition_channel, 'unknown') as channel,
        1 as customer_months,
        case when is_churned then 1 else 0 end as churned_customers,
        0 as revenue,
        0 as acquired_customers,
        0 as ad_spend,
        0 as sales_marketing_cost
    from customer_mrr_monthly
    union all
    select
        cast({{ dbt.date_trunc('month', 'invoices.issued_on') }} as date) as month_start,
        coalesce(customers.acquisition_channel, 'unknown') as channel,
        0 as customer_months,
        0 as churned_customers,
        invoices.amount as revenue,
        0 as acquired_customers,
        0 as ad_spend,
        0 as sales_marketing_cost
    from invoices
    left join customers
        on invoices.customer_id = customers.customer_id
    union all
    select
        acquisition_month as month_start,
        coalesce(acquisition_channel, 'unknown') as channel,
        0 as customer_months,
        0 as churned_customers,
        0 as revenue,
        1 as acquired_customers,
        0 as ad_spend,
        0 as sales_marketing_cost
    from customers_acquired
    union all
    select
        spend_month as month_start,
        coalesce(channel, 'unknown') as channel,
        0 as customer_months,
        0 as churned_customers,
        0 as revenue,
        0 as acquired_customers,
        spend as ad_spend,
        0 as sales_marketing_cost
    from ad_spend
    union all
    select
        month_start,
        cast(null as {{ dbt.type_string() }}) as channel,
        0 as customer_months,
        0 as churned_customers,
        0 as revenue,
        0 as acquired_customers,
        0 as ad_spend,
        sales_marketing_cost
    from sales_marketing_costs_monthly

),

{# Each published month M with the published months of its window [M - 11 months, M]. #}
window_months as (

    select
        window_ends.month_start as window_end_month,
        months_in_window.month_start
    from calendar_months as window_ends
    inner join calendar_months as months_in_window
        on
            window_ends.month_start >= months_in_window.month_start
            and cast({{ dbt.dateadd('month', -11, 'window_ends.month_start') }} as date)
            <= months_in_window.month_start

),

total_windows as (

    select
        calendar_months.month_start as window_end_month,
        'total' as segment_type,
        'all' as segment_value,
        coalesce(sum(monthly_facts.customer_months), 0) as customer_months,
        coalesce(sum(monthly_facts.churned_customers), 0) as churned_customers,
        coalesce(sum(cast(monthly_facts.revenue as {{ type_double() }})), 0) as revenue,
        coalesce(sum(monthly_facts.acquired_customers), 0) as acquired_customers,
        coalesce(
            sum(cast(monthly_facts.sales_marketing_cost as {{ type_double() }})), 0
        ) as acquisition_cost
    from calendar_months
    left join window_months
        on calendar_months.month_start = window_months.window_end_month
    left join monthly_facts
        on window_months.month_start = monthly_facts.month_start
    group by calendar_months.month_start

),

channel_windows as (

    select
        window_months.window_end_month,
        'channel' as segment_type,
        monthly_facts.channel as segment_value,
        sum(monthly_facts.customer_months) as customer_months,
        sum(monthly_facts.churned_customers) as churned_customers,
        sum(cast(monthly_facts.revenue as {{ type_double() }})) as revenue,
        sum(monthly_facts.acquired_customers) as acquired_customers,
        sum(cast(monthly_facts.ad_spend as {{ type_double() }})) as acquisition_cost
    from window_months
    inner join monthly_facts
        on window_months.month_start = monthly_facts.month_start
    where monthly_facts.channel is not null
    group by window_months.window_end_month, monthly_facts.channel
    having sum(monthly_facts.customer_months) > 0

),

segment_windows as (

    {{ union_all(['total_windows', 'channel_windows'], [
        'window_end_month', 'segment_type', 'segment_value', 'customer_months',
        'churned_customers', 'revenue', 'acquired_customers', 'acquisition_cost',
    ]) }}

),

lifetime_values as (

    select
        window_end_month,
        segment_type,
        segment_value,
        revenue / nullif(customer_months, 0)
        * cast({{ var('gross_margin') }} as {{ type_double() }}) as margin_per_customer_month,
        case
            when customer_months = 0 then null
            when churned_customers = 0 then null
            when
                cast(customer_months as {{ type_double() }}) / churned_customers
                > {{ var('ltv_max_lifetime_months') }}
                then null
            else cast(churned_customers as {{ type_double() }}) / customer_months
        end as uncapped_monthly_churn,
        case
            when customer_months = 0 then null
            when churned_customers = 0 then {{ var('ltv_max_lifetime_months') }}
            when
                cast(customer_months as {{ type_double() }}) / churned_customers
                > {{ var('ltv_max_lifetime_months') }}
                then {{ var('ltv_max_lifetime_months') }}
            else cast(customer_months as {{ type_double() }}) / churned_customers
        end as expected_lifetime_months,
        acquisition_cost / nullif(acquired_customers, 0) as ttm_cac
    from segment_windows

),

lifetime_values_with_ltv as (

    select
        window_end_month,
        segment_type,
        segment_value,
        margin_per_customer_month,
        uncapped_monthly_churn,
        ttm_cac,
        margin_per_customer_month * expected_lifetime_months as ltv
    from lifetime_values

),

kpi_inputs as (

    {{ unpivot('lifetime_values_with_ltv',
        ['kpi_code', 'unit', 'numerator', 'denominator', 'value'], [
        ["'ltv'", "'currency'", 'margin_per_customer_month', 'uncapped_monthly_churn', 'ltv'],
        ["'ltv_to_cac'", "'ratio'", 'ltv', 'ttm_cac', 'ltv / nullif(ttm_cac, 0)'],
    ], keep=['window_end_month', 'segment_type', 'segment_value']) }}

),

final as (

    {{ kpi_rows_final('kpi_inputs', calendar='calendar_months', month_column='window_end_month',
        period_grain="'ttm'", value_input='kpi_inputs.value', value='value_input') }}

)

select * from final
