{#- One row per visitor and calendar month with any web event: the visitor's channel (that
    of its first event of the month, ties to the smallest event_id: resolved per day in
    int_web_events_daily, and days do not overlap), how far it got through the funnel in
    order, and whether it had any goal (last-step) event in the month whatever the order of
    the other steps.
    Monthly partitioned: a run with the vars partition_start_date / partition_end_date
    recomputes the months those days fall in; without them the whole table is rebuilt. -#}
{{ config(pre_hook=["{{ delete_partition_window('event_month', grain='month') }}"]) }}

with visitor_days as (

    select
        visitor_id,
        cast({{ dbt.date_trunc('month', 'occurred_on') }} as date) as event_month,
        event_count,
        first_event_at,
        first_event_channel,
        first_funnel_step_at
    from {{ ref('int_web_events_daily') }}
    {{ partition_filter('occurred_on', grain='month') }}

),

later_step_events as (

    select
        visitor_id,
        cast({{ dbt.date_trunc('month', 'occurred_on') }} as date) as event_month,
        step_number
    from {{ ref('int_funnel_step_events_daily') }}
    {{ partition_filter('occurred_on', grain='month') }}

),

steps_reached as (

    select visitor_id, event_month, step_order, step_number, reached_at
    from {{ ref('int_visitor_funnel_steps_reached') }}
    {{ partition_filter('event_month', grain='month') }}

),

funnel_steps as (

    select step_order from {{ ref('funnel_steps') }}

),

{# The goal is the step with the highest step_order: the last step_number. #}
goal_step as (

    select
        max(step_order) as step_order,
        count(step_order) as step_number
    from funnel_steps

),

{# Reaching step 1 is reaching the funnel at all (first_funnel_step_at, per visitor-month
    below): only the few later steps are needed from the steps reached. #}
later_steps_reached as (

    select visitor_id, event_month, step_order, step_number, reached_at
    from steps_reached
    where step_number > 1

),

visitor_months as (

    select
        visitor_id,
        event_month,
        min(first_event_at) as first_event_at,
        {{ first_value_by('first_event_channel', ['first_event_at']) }} as channel,
        cast(sum(event_count) as {{ dbt.type_bigint() }}) as event_count,
        min(first_funnel_step_at) as first_funnel_step_at
    from visitor_days
    group by visitor_id, event_month

),

later_goal_visitor_months as (

    select distinct
        later_step_events.visitor_id,
        later_step_events.event_month
    from later_step_events
    inner join goal_step
        on later_step_events.step_number = goal_step.step_number

),

later_funnel_progress as (

    select
        later_steps_reached.visitor_id,
        later_steps_reached.event_month,
        max(later_steps_reached.step_number) as steps_reached_in_order,
        max(
            case
                when later_steps_reached.step_order = goal_step.step_order
                    then later_steps_reached.reached_at
            end
        ) as goal_reached_in_order_at
    from later_steps_reached
    cross join goal_step
    group by later_steps_reached.visitor_id, later_steps_reached.event_month

),

final as (

    select
        visitor_months.visitor_id,
        visitor_months.event_month,
        visitor_months.channel,
        visitor_months.first_event_at,
        visitor_months.event_count,
        case
            when visitor_months.first_funnel_step_at is null then 0
            else coalesce(later_funnel_progress.steps_reached_in_order, 1)
        end as steps_reached_in_order,
        case
            when goal_step.step_number = 1 then visitor_months.first_funnel_step_at
            else later_funnel_progress.goal_reached_in_order_at
        end as goal_reached_in_order_at,
        case
            when goal_step.step_number = 1 then visitor_months.first_funnel_step_at is not null
            else later_goal_visitor_months.visitor_id is not null
        end as has_goal_event
    from visitor_months
    cross join goal_step
    left join later_funnel_progress
        on
            visitor_months.visitor_id = later_funnel_progress.visitor_id
            and visitor_months.event_month = later_funnel_progress.event_month
    left join later_goal_visitor_months
        on
            visitor_months.visitor_id = later_goal_visitor_months.visitor_id
            and visitor_months.event_month = later_goal_visitor_months.event_month

)

select * from final
