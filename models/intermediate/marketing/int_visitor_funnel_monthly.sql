{#- One row per visitor and calendar month with any web event: the visitor's channel (that
    of its first event of the month, ties to the smallest event_id), how far it got through
    the funnel in order, and whether it had any goal (last-step) event in the month whatever
    the order of the other steps. -#}
with web_events as (

    select event_id, occurred_at, visitor_id, event_name, channel
    from {{ ref('int_web_events_daily') }}

),

funnel_steps as (

    select step_order, event_name from {{ ref('funnel_steps') }}

),

steps_reached as (

    select visitor_id, event_month, step_order, step_number, reached_at
    from {{ ref('int_visitor_funnel_steps_reached') }}

),

last_step_order as (

    select max(step_order) as step_order from funnel_steps

),

goal_step as (

    select
        funnel_steps.step_order,
        funnel_steps.event_name
    from funnel_steps
    inner join last_step_order
        on funnel_steps.step_order = last_step_order.step_order

),

monthly_events as (

    select
        event_id,
        visitor_id,
        cast({{ dbt.date_trunc('month', 'occurred_at') }} as date) as event_month,
        occurred_at,
        event_name,
        channel,
        row_number() over (
            partition by visitor_id, cast({{ dbt.date_trunc('month', 'occurred_at') }} as date)
            order by occurred_at, event_id
        ) as event_rank_in_month
    from web_events

),

visitor_months as (

    select
        monthly_events.visitor_id,
        monthly_events.event_month,
        min(monthly_events.occurred_at) as first_event_at,
        max(case when monthly_events.event_rank_in_month = 1 then monthly_events.channel end)
            as channel,
        count(monthly_events.event_id) as event_count,
        max(case when goal_step.event_name is not null then 1 else 0 end) = 1 as has_goal_event
    from monthly_events
    left join goal_step
        on monthly_events.event_name = goal_step.event_name
    group by monthly_events.visitor_id, monthly_events.event_month

),

funnel_progress as (

    select
        steps_reached.visitor_id,
        steps_reached.event_month,
        max(steps_reached.step_number) as steps_reached_in_order,
        max(
            case
                when steps_reached.step_order = goal_step.step_order
                    then steps_reached.reached_at
            end
        ) as goal_reached_in_order_at
    from steps_reached
    cross join goal_step
    group by steps_reached.visitor_id, steps_reached.event_month

),

final as (

    select
        visitor_months.visitor_id,
        visitor_months.event_month,
        visitor_months.channel,
        visitor_months.first_event_at,
        visitor_months.event_count,
        coalesce(funnel_progress.steps_reached_in_order, 0) as steps_reached_in_order,
        funnel_progress.goal_reached_in_order_at,
        visitor_months.has_goal_event
    from visitor_months
    left join funnel_progress
        on
            visitor_months.visitor_id = funnel_progress.visitor_id
            and visitor_months.event_month = funnel_progress.event_month

)

select * from final
