{#- Singular test: per month, the visitors reaching funnel step k in order never outnumber
    those reaching step k-1, and step 1 never outnumbers the visitors of the month. Returns
    one row per violating month and step. -#}
with steps_reached as (

    select visitor_id, event_month, step_number
    from {{ ref('int_visitor_funnel_steps_reached') }}

),

visitor_funnel as (

    select visitor_id, event_month from {{ ref('int_visitor_funnel_monthly') }}

),

visitors_monthly as (

    select
        event_month,
        0 as step_number,
        count(visitor_id) as visitors
    from visitor_funnel
    group by event_month

),

visitors_by_step_monthly as (

    select
        event_month,
        step_number,
        count(visitor_id) as visitors
    from steps_reached
    group by event_month, step_number

),

step_counts as (

    select event_month, step_number, visitors from visitors_monthly
    union all
    select event_month, step_number, visitors from visitors_by_step_monthly

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
