{#- Singular test: per month, the visitors reaching funnel step k in order never outnumber
    those reaching step k-1, and step 1 never outnumbers the visitors of the month. Returns
    one row per violating month and step (step 0: all visitors of the month). -#}
with step_counts as (

    select event_month, 0 as step_number, count(visitor_id) as visitors
    from {{ ref('int_visitor_funnel_monthly') }}
    group by event_month
    union all
    select event_month, step_number, count(visitor_id) as visitors
    from {{ ref('int_visitor_funnel_steps_reached') }}
    group by event_month, step_number

),

final as (

    select
        current_step.event_month,
        current_step.step_number,
        current_step.visitors,
        previous_step.visitors as previous_step_visitors
    from step_counts as current_step
    left join step_counts as previous_step
        on
            current_step.event_month = previous_step.event_month
            and current_step.step_number - 1 = previous_step.step_number
    where
        current_step.step_number > 0
        and current_step.visitors > coalesce(previous_step.visitors, 0)

)

select * from final
