{#- Revenue per employee for BI: one row per published month and segment (total/all,
    department/<department>, product_line/<product_line>). Reads the KPI rows; recomputes
    nothing. -#}
with revenue_per_employee as (

    {{ select_kpi_rows(
        'int_kpi_rows_revenue_per_employee', 'revenue_per_employee', numerator='revenue',
        denominator='average_fte', value='revenue_per_fte'
    ) }}

),

final as (

    select
        {{ monthly_series_keys() }},
        revenue,
        average_fte,
        revenue_per_fte,
        is_complete_period
    from revenue_per_employee

)

select * from final
