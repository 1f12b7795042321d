{#- Every monthly KPI (grain month, and the ttm KPIs published every month) has a total/all
    row in the scorecard for every published month of int_calendar_months. Fails with one
    row per missing (kpi_code, month). -#}
with published_months as (

    select month_start from {{ ref('int_calendar_months') }}

),

monthly_kpi_codes as (

    select codes.kpi_code
    from (
        values
        ('revenue_per_employee'),
        ('cac'),
        ('cac_paid'),
        ('cac_payback_months'),
        ('ltv'),
        ('ltv_to_cac'),
        ('conversion_rate'),
        ('funnel_step_conversion'),
        ('churn_rate'),
        ('revenue_churn_rate'),
        ('net_revenue_retention'),
        ('nps'),
        ('cpl'),
        ('cost_per_mql')
    ) as codes (kpi_code)

),

total_rows as (

    select
        kpi_code,
        period_start
    from {{ ref('kpi_scorecard') }}
    where segment_type = 'total' and segment_value = 'all'

),

expected_rows as (

    select
        monthly_kpi_codes.kpi_code,
        published_months.month_start
    from monthly_kpi_codes
    cross join published_months

),

final as (

    select
        expected_rows.kpi_code,
        expected_rows.month_start
    from expected_rows
    left join total_rows
        on
            expected_rows.kpi_code = total_rows.kpi_code
            and expected_rows.month_start = total_rows.period_start
    where total_rows.kpi_code is null

)

select * from final
