{#- One row per published month (end of the TTM window) and LTV segment: the LTV, its
    components and LTV:CAC (pivot of int_kpi_rows_ltv, nothing recomputed). -#}
with lifetime_values as (

    {{ select_kpi_rows(
        'int_kpi_rows_ltv', 'ltv', numerator='gross_margin_per_customer_month',
        denominator='monthly_churn_rate', value='lifetime_value'
    ) }}

),

ltv_to_cac_ratios as (

    {{ select_kpi_rows(
        'int_kpi_rows_ltv', 'ltv_to_cac', denominator='ttm_cac', value='ltv_to_cac_ratio'
    ) }}

),

final as (

    select
        {{ monthly_series_keys('lifetime_values') }},
        lifetime_values.gross_margin_per_customer_month,
        lifetime_values.monthly_churn_rate,
        lifetime_values.gross_margin_per_customer_month is not null
        and lifetime_values.monthly_churn_rate is null as is_lifetime_capped,
        lifetime_values.lifetime_value,
        ltv_to_cac_ratios.ttm_cac,
        ltv_to_cac_ratios.ltv_to_cac_ratio,
        lifetime_values.is_complete_period
    from lifetime_values
    inner join ltv_to_cac_ratios
        on {{ keys_equal('lifetime_values', 'ltv_to_cac_ratios') }}

)

select * from final
