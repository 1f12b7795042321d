{#- One row per published month and funnel step with a funnel_step_conversion row in
    int_kpi_rows_conversion: visitors reaching the step in order, visitors reaching the
    previous step (all visitors of the month for step 1), the step conversion and the
    conversion from the month's visitors, in percent. -#}
with funnel_steps as (

    select step_order, step_name, event_name from {{ ref('funnel_steps') }}

),

step_rows as (

    {{ select_kpi_rows(
        'int_kpi_rows_conversion', 'funnel_step_conversion', where="segment_type = 'funnel_step'"
    ) }}

),

{# The funnel total row's denominator is the visitors of the month. #}
monthly_visitors as (

    {{ select_kpi_rows(
        'int_kpi_rows_conversion',
        'funnel_step_conversion',
        denominator='visitors',
        where="segment_type = 'total'",
    ) }}

),

final as (

    select
        step_rows.period_start as month_start,
        step_rows.period_end as month_end,
        funnel_steps.step_order,
        funnel_steps.step_name,
        funnel_steps.event_name,
        cast(step_rows.numerator as {{ dbt.type_bigint() }}) as visitors_reaching_step,
        cast(step_rows.denominator as {{ dbt.type_bigint() }})
            as visitors_reaching_previous_step,
        step_rows.value as step_conversion_pct,
        cast(monthly_visitors.visitors as {{ dbt.type_bigint() }}) as visitors,
        step_rows.numerator * 100 / nullif(monthly_visitors.visitors, 0)
            as conversion_from_visit_pct,
        step_rows.is_complete_period
    from step_rows
    inner join funnel_steps
        on step_rows.segment_value = funnel_steps.event_name
    left join monthly_visitors
        on step_rows.period_start = monthly_visitors.period_start

)

select * from final
