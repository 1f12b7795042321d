{#- KPI rows of the customer acquisition cost family (docs/kpis.md#customer-acquisition-cost): cac
    (total/all), cac_paid (channel/<channel> for channels with at least one campaign, plus
    total/all) and cac_payback_months (total/all), one row per published month and segment. -#}
with calendar_months as (

    select month_start, month_end, is_complete_period
    from {{ ref('int_calendar_months') }}

),

sales_marketing_costs as (

    select month_start, ad_spend, sales_marketing_cost
    from {{ ref('int_sales_marketing_costs_monthly') }}

),

customers_acquired as (

    select customer_id, acquisition_month, acquisition_channel, acquisition_mrr
    from {{ ref('int_customers_acquired') }}

),

ad_spend as (

    select campaign_id, spend_month, channel, spend
    from {{ ref('int_ad_spend_converted') }}

),

paid_channels as (

    select channel from {{ ref('int_paid_channels') }}

),

acquisitions_monthly as (

    select
        acquisition_month as month_start,
        count(customer_id) as customers_acquired,
        avg(acquisition_mrr) as average_acquisition_mrr
    from customers_acquired
    group by acquisition_month

),

acquisitions_by_paid_channel_monthly as (

    select
        customers_acquired.acquisition_month as month_start,
        customers_acquired.acquisition_channel as channel,
        count(customers_acquired.customer_id) as customers_acquired
    from customers_acquired
    inner join paid_channels
        on customers_acquired.acquisition_channel = paid_channels.channel
    group by customers_acquired.acquisition_month, customers_acquired.acquisition_channel

),

ad_spend_by_paid_channel_monthly as (

    select
        ad_spend.spend_month as month_start,
        ad_spend.channel,
        sum(ad_spend.spend) as ad_spend
    from ad_spend
    inner join paid_channels
        on ad_spend.channel = paid_channels.channel
    group by ad_spend.spend_month, ad_spend.channel

),

monthly_totals as (

    select
        calendar_months.month_start,
        coalesce(sales_marketing_costs.sales_marketing_cost, 0) as sales_marketing_cost,
        coalesce(sales_marketing_costs.ad_spend, 0) as ad_spend,
        coalesce(acquisitions_monthly.customers_acquired, 0) as customers_acquired,
        acquisitions_monthly.average_acquisition_mrr
    from calendar_months
    left join sales_marketing_costs
        on calendar_months.month_start = sales_marketing_costs.month_start
    left join acquisitions_monthly
        on calendar_months.month_start = acquisitions_monthly.month_start

),

cac_rows as (

    select
        'cac' as kpi_code,
        month_start,
        'total' as segment_type,
        'all' as segment_value,
        cast(sales_marketing_cost as double precision) as numerator,
        cast(customers_acquired as double precision) as denominator,
        'currency' as unit
    from monthly_totals

),

cac_paid_total_rows as (

    select
        'cac_paid' as kpi_code,
        month_start,
        'total' as segment_type,
        'all' as segment_value,
        cast(ad_spend as double precision) as numerator,
        cast(customers_acquired as double precision) as denominator,
        'currency' as unit
    from monthly_totals

),

{# A channel row exists when the channel has ad spend rows or acquisitions in the month
    (full outer join): spend without acquisitions gives a null value, acquisitions without
    spend give 0. #}
cac_paid_channel_rows as (

    select
        'cac_paid' as kpi_code,
        coalesce(
            ad_spend_by_paid_channel_monthly.month_start,
            acquisitions_by_paid_channel_monthly.month_start
        ) as month_start,
        'channel' as segment_type,
        coalesce(
            ad_spend_by_paid_channel_monthly.channel,
            acquisitions_by_paid_channel_monthly.channel
        ) as segment_value,
        cast(coalesce(ad_spend_by_paid_channel_monthly.ad_spend, 0) as double precision)
            as numerator,
        cast(
            coalesce(acquisitions_by_paid_channel_monthly.customers_acquired, 0)
            as double precision
        ) as denominator,
        'currency' as unit
    from ad_spend_by_paid_channel_monthly
    full outer join acquisitions_by_paid_channel_monthly
        on
            ad_spend_by_paid_channel_monthly.month_start
            = acquisitions_by_paid_channel_monthly.month_start
            and ad_spend_by_paid_channel_monthly.channel
            = acquisitions_by_paid_channel_monthly.channel

),

{# Payback: numerator = cac (null without acquisitions), denominator = average acquisition
    MRR of the month's acquired customers x gross margin. #}
cac_payback_rows as (

    select
        'cac_payback_months' as kpi_code,
        month_start,
        'total' as segment_type,
        'all' as segment_value,
        cast(sales_marketing_cost as double precision)
        / nullif(cast(customers_acquired as double precision), 0) as numerator,
        cast(average_acquisition_mrr as double precision)
        * cast({{ var('gross_margin') }} as double precision) as denominator,
        'months' as unit
    from monthly_totals

),

kpi_rows as (

    select kpi_code, month_start, segment_type, segment_value, numerator, denominator, unit
    from cac_rows
    union all
    select kpi_code, month_start, segment_type, segment_value, numerator, denominator, unit
    from cac_paid_total_rows
    union all
    select kpi_code, month_start, segment_type, segment_value, numerator, denominator, unit
    from cac_paid_channel_rows
    union all
    select kpi_code, month_start, segment_type, segment_value, numerator, denominator, unit
    from cac_payback_rows

),

final as (

    select
        cast(kpi_rows.kpi_code as {{ dbt.type_string() }}) as kpi_code,
        calendar_months.month_start as period_start,
        calendar_months.month_end as period_end,
        cast('month' as {{ dbt.type_string() }}) as period_grain,
        cast(kpi_rows.segment_type as {{ dbt.type_string() }}) as segment_type,
        cast(kpi_rows.segment_value as {{ dbt.type_string() }}) as segment_value,
        kpi_rows.numerator,
        kpi_rows.denominator,
        kpi_rows.numerator / nullif(kpi_rows.denominator, 0) as value,
        cast(kpi_rows.unit as {{ dbt.type_string() }}) as unit,
        calendar_months.is_complete_period,
        false as is_suppressed
    from kpi_rows
    inner join calendar_months
        on kpi_rows.month_start = calendar_months.month_start

)

select * from final
