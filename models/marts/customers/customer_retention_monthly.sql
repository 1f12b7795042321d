{#- One row per published month and churn segment: customers and MRR at the start of the
    month, what was lost and retained, and the three retention rates (pivot of
    int_kpi_rows_churn, nothing recomputed). -#}
with churn_kpi_rows as (

    select
        kpi_code,
        period_start,
        period_end,
        segment_type,
        segment_value,
        numerator,
        denominator,
        value,
        is_complete_period
    from {{ ref('int_kpi_rows_churn') }}

),

churn_rates as (

    select
        period_start,
        period_end,
        segment_type,
        segment_value,
        numerator as churned_customers,
        denominator as customers_at_start,
        value as churn_rate_pct,
        is_complete_period
    from churn_kpi_rows
    where kpi_code = 'churn_rate'

),

revenue_churn_rates as (

    select
        period_start,
        segment_type,
        segment_value,
        numerator as lost_mrr,
        denominator as mrr_at_start,
        value as revenue_churn_rate_pct
    from churn_kpi_rows
    where kpi_code = 'revenue_churn_rate'

),

net_revenue_retention_rates as (

    select
        period_start,
        segment_type,
        segment_value,
        numerator as retained_mrr,
        value as net_revenue_retention_pct
    from churn_kpi_rows
    where kpi_code = 'net_revenue_retention'

),

final as (

    select
        churn_rates.period_start as month_start,
        churn_rates.period_end as month_end,
        churn_rates.segment_type,
        churn_rates.segment_value,
        cast(churn_rates.customers_at_start as {{ dbt.type_bigint() }}) as customers_at_start,
        cast(churn_rates.churned_customers as {{ dbt.type_bigint() }}) as churned_customers,
        revenue_churn_rates.mrr_at_start,
        revenue_churn_rates.lost_mrr,
        net_revenue_retention_rates.retained_mrr,
        churn_rates.churn_rate_pct,
        revenue_churn_rates.revenue_churn_rate_pct,
        net_revenue_retention_rates.net_revenue_retention_pct,
        churn_rates.is_complete_period
    from churn_rates
    inner join revenue_churn_rates
        on
            churn_rates.period_start = revenue_churn_rates.period_start
            and churn_rates.segment_type = revenue_churn_rates.segment_type
            and churn_rates.segment_value = revenue_churn_rates.segment_value
    inner join net_revenue_retention_rates
        on
            churn_rates.period_start = net_revenue_retention_rates.period_start
            and churn_rates.segment_type = net_revenue_retention_rates.segment_type
            and churn_rates.segment_value = net_revenue_retention_rates.segment_value

)

select * from final
