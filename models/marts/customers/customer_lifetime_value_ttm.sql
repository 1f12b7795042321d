{#- One row per published month (end of the TTM window) and LTV segment: the LTV, its
    components and LTV:CAC (pivot of int_kpi_rows_ltv, nothing recomputed). -#}
with ltv_kpi_rows as (

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
    from {{ ref('int_kpi_rows_ltv') }}

),

lifetime_values as (

    select
        period_start,
        period_end,
        segment_type,
        segment_value,
        numerator as gross_margin_per_customer_month,
        denominator as monthly_churn_rate,
        value as lifetime_value,
        is_complete_period
    from ltv_kpi_rows
    where kpi_code = 'ltv'

),

ltv_to_cac_ratios as (

    select
        period_start,
        segment_type,
        segment_value,
        denominator as ttm_cac,
        value as ltv_to_cac_ratio
    from ltv_kpi_rows
    where kpi_code = 'ltv_to_cac'

),

final as (

    select
        lifetime_values.period_start as month_start,
        lifetime_values.period_end as month_end,
        lifetime_values.segment_type,
        lifetime_values.segment_value,
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
        on
            lifetime_values.period_start = ltv_to_cac_ratios.period_start
            and lifetime_values.segment_type = ltv_to_cac_ratios.segment_type
            and lifetime_values.segment_value = ltv_to_cac_ratios.segment_value

)

select * from final
