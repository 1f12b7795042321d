{#- One row per published month and segment (total/all and channel/<first-event channel>)
    of conversion_rate in int_kpi_rows_conversion, plus the end-to-end ordered funnel
    conversion on the total rows. -#}
with conversion_rate as (

    {{ select_kpi_rows('int_kpi_rows_conversion', 'conversion_rate') }}

),

funnel_total as (

    {{ select_kpi_rows(
        'int_kpi_rows_conversion', 'funnel_step_conversion', where="segment_type = 'total'"
    ) }}

),

final as (

    select
        {{ monthly_series_keys('conversion_rate') }},
        cast(conversion_rate.denominator as {{ dbt.type_bigint() }}) as visitors,
        cast(conversion_rate.numerator as {{ dbt.type_bigint() }}) as converted_visitors,
        conversion_rate.value as conversion_rate_pct,
        cast(funnel_total.numerator as {{ dbt.type_bigint() }}) as funnel_completed_visitors,
        funnel_total.value as funnel_completion_pct,
        conversion_rate.is_complete_period
    from conversion_rate
    left join funnel_total
        on
            conversion_rate.period_start = funnel_total.period_start
            and conversion_rate.segment_type = 'total'

)

select * from final
