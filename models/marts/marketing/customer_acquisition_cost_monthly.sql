{#- One row per published month: the sales & marketing cost split into its parts, the
    customers acquired, cac, the all-channel cac_paid and cac_payback_months, read from
    int_sales_marketing_costs_monthly and int_kpi_rows_cac (total/all rows). -#}
with sales_marketing_costs as (

    select month_start, ad_spend, expenses, payroll_cost, sales_marketing_cost
    from {{ ref('int_sales_marketing_costs_monthly') }}

),

cac as (

    {{ select_kpi_rows('int_kpi_rows_cac', 'cac', where="segment_type = 'total'") }}

),

cac_paid as (

    {{ select_kpi_rows('int_kpi_rows_cac', 'cac_paid', where="segment_type = 'total'") }}

),

cac_payback as (

    {{ select_kpi_rows(
        'int_kpi_rows_cac', 'cac_payback_months', where="segment_type = 'total'"
    ) }}

),

final as (

    select
        cac.period_start as month_start,
        cac.period_end as month_end,
        cast(sales_marketing_costs.ad_spend as {{ type_double() }}) as ad_spend,
        cast(sales_marketing_costs.expenses as {{ type_double() }}) as expenses,
        cast(sales_marketing_costs.payroll_cost as {{ type_double() }})
            as sales_marketing_payroll_cost,
        cast(sales_marketing_costs.sales_marketing_cost as {{ type_double() }})
            as sales_marketing_cost,
        cast(cac.denominator as {{ dbt.type_bigint() }}) as customers_acquired,
        cac.value as cac,
        cac_paid.value as cac_paid,
        cac_payback.denominator as gross_margin_acquisition_mrr,
        cac_payback.value as cac_payback_months,
        cac.is_complete_period
    from cac
    left join sales_marketing_costs
        on cac.period_start = sales_marketing_costs.month_start
    left join cac_paid
        on {{ keys_equal('cac', 'cac_paid') }}
    left join cac_payback
        on {{ keys_equal('cac', 'cac_payback') }}

)

select * from final
