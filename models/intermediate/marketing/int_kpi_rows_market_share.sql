{#- KPI rows of market_share (docs/kpis.md#market-share): per row of marketing.market_sizes, the
    company revenue from customers of the row's region on invoices of the row's product line
    issued in [period_start, period_end + 1 day) / the row's market revenue x 100; plus
    region and product-line roll-ups (sum of company revenue / sum of market revenue over the
    rows of the same period). No total/all row. -#}
with reporting_window as (

    select as_of_date from {{ ref('int_reporting_window') }}

),

market_sizes as (

    select period_start, period_end, period_grain, region, product_line, market_revenue
    from {{ ref('int_market_sizes_converted') }}

),

invoices as (

    select customer_id, product_line, issued_at, is_void, amount
    from {{ ref('int_invoices_converted') }}

),

customers as (

    select customer_id, region from {{ ref('stg_crm__customers') }}

),

revenue_invoices as (

    select
        invoices.product_line,
        invoices.issued_at,
        invoices.amount,
        customers.region
    from invoices
    inner join customers
        on invoices.customer_id = customers.customer_id
    where not invoices.is_void

),

{# period_start identifies a period: all rows with the same period_start share period_end
    (data contract), so (period_start, region, product_line) is the market row's key. #}
company_revenue_by_market_row as (

    select
        market_sizes.period_start,
        market_sizes.region,
        market_sizes.product_line,
        sum(revenue_invoices.amount) as company_revenue
    from market_sizes
    inner join revenue_invoices
        on
            market_sizes.region = revenue_invoices.region
            and market_sizes.product_line = revenue_invoices.product_line
            and revenue_invoices.issued_at
            >= cast(market_sizes.period_start as {{ dbt.type_timestamp() }})
            and revenue_invoices.issued_at < cast(
                {{ dbt.dateadd('day', 1, 'market_sizes.period_end') }}
                as {{ dbt.type_timestamp() }}
            )
    group by market_sizes.period_start, market_sizes.region, market_sizes.product_line

),

market_rows as (

    select
        market_sizes.period_start,
        market_sizes.period_end,
        market_sizes.period_grain,
        market_sizes.region,
        market_sizes.product_line,
        coalesce(company_revenue_by_market_row.company_revenue, 0) as company_revenue,
        market_sizes.market_revenue
    from market_sizes
    left join company_revenue_by_market_row
        on
            market_sizes.period_start = company_revenue_by_market_row.period_start
            and market_sizes.region = company_revenue_by_market_row.region
            and market_sizes.product_line = company_revenue_by_market_row.product_line

),

region_product_line_rows as (

    select
        period_start,
        period_end,
        period_grain,
        'region_product_line' as segment_type,
        {{ dbt.concat(['region', "'|'", 'product_line']) }} as segment_value,
        company_revenue,
        market_revenue
    from market_rows

),

region_rows as (

    select
        period_start,
        period_end,
        period_grain,
        'region' as segment_type,
        region as segment_value,
        sum(company_revenue) as company_revenue,
        sum(market_revenue) as market_revenue
    from market_rows
    group by period_start, period_end, period_grain, region

),

product_line_rows as (

    select
        period_start,
        period_end,
        period_grain,
        'product_line' as segment_type,
        product_line as segment_value,
        sum(company_revenue) as company_revenue,
        sum(market_revenue) as market_revenue
    from market_rows
    group by period_start, period_end, period_grain, product_line

),

segment_rows as (

    {{ union_all(['region_product_line_rows', 'region_rows', 'product_line_rows'], [
        'period_start', 'period_end', 'period_grain', 'segment_type', 'segment_value',
        'company_revenue', 'market_revenue',
    ]) }}

),

final as (

    {{ kpi_rows_final('segment_rows', kpi_code="'market_share'", unit="'percent'",
        period_grain='segment_rows.period_grain', numerator='segment_rows.company_revenue',
        denominator='segment_rows.market_revenue', value='numerator * 100 / nullif(denominator, 0)',
        is_complete_period='segment_rows.period_end <= reporting_window.as_of_date',
        join='cross join reporting_window') }}

)

select * from final
