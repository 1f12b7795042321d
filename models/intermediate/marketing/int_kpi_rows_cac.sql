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

{# Acquisitions and ad spend of the paid channels, one row per fact. #}
paid_channel_facts as (

    select
        customers_acquired.acquisition_month as month_start,
        customers_acquired.acquisition_channel as channel,
        1 as customers_acquired,
        0 as ad_spend
    from customers_acquired
    inner join paid_channels
        on customers_acquired.acquisition_channel = paid_channels.channel
    union all
    select
        ad_spend.spend_month as month_start,
        ad_spend.channel,
        0 as customers_acquired,
        ad_spend.spend as ad_spend
    from ad_spend
    inner join paid_channels
        on ad_spend.channel = paid_channels.channel

),

{# int_sales_marketing_costs_monthly has one row per published month, zero costs included. #}
monthly_totals as (

    select
        sales_marketing_costs.month_start,
        sales_marketing_costs.sales_marketing_cost,
        sales_marketing_costs.ad_spend,
        coalesce(acquisitions_monthly.customers_acquired, 0) as customers_acquired,
        acquisitions_monthly.average_acquisition_mrr
    from sales_marketing_costs
    left join acquisitions_monthly
        on sales_marketing_costs.month_start = acquisitions_monthly.month_start

),

{# cac and cac_paid of the total: the month's costs over all customers acquired. #}
total_rows as (

    {{ unpivot('monthly_totals', ['kpi_code', 'numerator'], [
        ["'cac'", 'sales_marketing_cost'],
        ["'cac_paid'", 'ad_spend'],
    ], keep=[
        'month_start', "'total' as segment_type", "'all' as segment_value",
        'customers_acquired as denominator', "'currency' as unit",
    ]) }}

),

{# A channel row exists when the channel has ad spend rows or acquisitions in the month:
    spend without acquisitions gives a null value, acquisitions without spend give 0. #}
cac_paid_channel_rows as (

    select
        'cac_paid' as kpi_code,
        month_start,
        'channel' as segment_type,
        channel as segment_value,
        sum(ad_spend) as numerator,
        sum(customers_acquired) as denominator,
        'currency' as unit
    from paid_channel_facts
    group by month_start, channel

),

{# Payback: numerator = cac (null without acquisitions), denominator = average acquisition
    MRR of the month's acquired customers x gross margin. #}
cac_payback_rows as (

    select
        'cac_payback_months' as kpi_code,
        month_start,
        'total' as segment_type,
        'all' as segment_value,
        cast(sales_marketing_cost as {{ type_double() }})
        / nullif(cast(customers_acquired as {{ type_double() }}), 0) as numerator,
        cast(average_acquisition_mrr as {{ type_double() }})
        * cast({{ var('gross_margin') }} as {{ type_double() }}) as denominator,
        'months' as unit
    from monthly_totals

),

kpi_rows as (

    {{ union_all(['total_rows', 'cac_paid_channel_rows', 'cac_payback_rows'], [
        'kpi_code', 'month_start', 'segment_type', 'segment_value', 'numerator', 'denominator',
        'unit',
    ]) }}

),

final as (

    {{ kpi_rows_final('kpi_rows', calendar='calendar_months') }}

)

select * from final
