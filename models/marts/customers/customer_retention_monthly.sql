{#- One row per published month and churn segment: customers and MRR at the start of the
    month, what was lost and retained, and the three retention rates (pivot of
    int_kpi_rows_churn, nothing recomputed). -#}
with churn_rates as (

    {{ select_kpi_rows(
        'int_kpi_rows_churn', 'churn_rate', numerator='churned_customers',
        denominator='customers_at_start', value='churn_rate_pct'
    ) }}

),

revenue_churn_rates as (

    {{ select_kpi_rows(
        'int_kpi_rows_churn', 'revenue_churn_rate', numerator='lost_mrr',
        denominator='mrr_at_start', value='revenue_churn_rate_pct'
    ) }}

),

net_revenue_retention_rates as (

    {{ select_kpi_rows(
        'int_kpi_rows_churn', 'net_revenue_retention', numerator='retained_mrr',
        value='net_revenue_retention_pct'
    ) }}

),

final as (

    select
        {{ monthly_series_keys('churn_rates') }},
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
        on {{ keys_equal('churn_rates', 'revenue_churn_rates') }}
    inner join net_revenue_retention_rates
        on {{ keys_equal('churn_rates', 'net_revenue_retention_rates') }}

)

select * from final
