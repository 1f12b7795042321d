{#- churn_rate rows of segment_type 'risk_band' (docs/insights.md): per month, the customers
    active at its start grouped by the risk band they had then (int_customer_risk_bands_monthly),
    with the total's definition (docs/kpis.md#churn-and-retention): churned customers
    / customers active at the start x 100. The KPI row interface of the churn family; stacked
    into the scorecard by int_kpi_rows_unioned on DuckDB only (the bands come from a dbt Python
    model). Months without enough history have no band and so no rows. -#}
with calendar_months as (

    select month_start, month_end, is_complete_period from {{ ref('int_calendar_months') }}

),

customers_at_start as (

    select month_start, customer_id, is_churned
    from {{ ref('int_customer_mrr_monthly') }}
    where is_active_at_start

),

customer_risk_bands as (

    select month_start, customer_id, risk_band
    from {{ ref('int_customer_risk_bands_monthly') }}

),

risk_band_churn as (

    select
        customers_at_start.month_start,
        'risk_band' as segment_type,
        customer_risk_bands.risk_band as segment_value,
        count(*) as customers_at_start,
        sum(case when customers_at_start.is_churned then 1 else 0 end) as churned_customers
    from customers_at_start
    inner join customer_risk_bands
        on
            customers_at_start.month_start = customer_risk_bands.month_start
            and customers_at_start.customer_id = customer_risk_bands.customer_id
    group by customers_at_start.month_start, customer_risk_bands.risk_band

),

final as (

    {{ kpi_rows_final('risk_band_churn', kpi_code="'churn_rate'", calendar='calendar_months',
        numerator='churned_customers', denominator='customers_at_start', unit="'percent'",
        value='numerator / nullif(denominator, 0) * 100') }}

)

select * from final
