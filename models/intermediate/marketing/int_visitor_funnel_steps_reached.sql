{#- One row per visitor, calendar month and funnel step the visitor reached in order that
    month (docs/kpis.md#conversion-and-funnel): step 1 is reached at the first step-1 event of the
    month; step k at the first step-k event at or after (same instant included) the time
    step k-1 was reached, in the same month. Nothing carries over between months. The steps
    and their order come from the seed funnel_steps; the recursion walks them one by one. -#}
with recursive web_events as (

    select event_id, occurred_at, visitor_id, event_name
    from {{ ref('int_web_events_daily') }}

),

funnel_steps as (

    select step_order, step_name, event_name from {{ ref('funnel_steps') }}

),

{# step_number is the dense rank of step_order, so that step k-1 is always step_number - 1
    even if the seed's step_order has gaps. #}
numbered_steps as (

    select
        step_order,
        step_name,
        event_name,
        row_number() over (order by step_order) as step_number
    from funnel_steps

),

distinct_step_instants as (

    select distinct
        web_events.visitor_id,
        cast({{ dbt.date_trunc('month', 'web_events.occurred_at') }} as date) as event_month,
        numbered_steps.step_number,
        web_events.occurred_at
    from web_events
    inner join numbered_steps
        on web_events.event_name = numbered_steps.event_name

),

{# Each instant with the previous instant of the same step in the month: an instant t is
    the first step event at or after r exactly when t >= r and the previous instant is
    before r (or absent). #}
step_event_instants as (

    select
        visitor_id,
        event_month,
        step_number,
        occurred_at,
        lag(occurred_at) over (
            partition by visitor_id, event_month, step_number order by occurred_at
        ) as previous_occurred_at
    from distinct_step_instants

),

steps_reached as (

    select
        visitor_id,
        event_month,
        step_number,
        occurred_at as reached_at
    from step_event_instants
    where step_number = 1 and previous_occurred_at is null

    union all

    select
        step_event_instants.visitor_id,
        step_event_instants.event_month,
        step_event_instants.step_number,
        step_event_instants.occurred_at as reached_at
    from steps_reached
    inner join step_event_instants
        on
            steps_reached.visitor_id = step_event_instants.visitor_id
            and steps_reached.event_month = step_event_instants.event_month
            and steps_reached.step_number + 1 = step_event_instants.step_number
            and steps_reached.reached_at <= step_event_instants.occurred_at
            and (
                step_event_instants.previous_occurred_at is null
                or steps_reached.reached_at > step_event_instants.previous_occurred_at
            )

),

final as (

    select
        steps_reached.visitor_id,
        steps_reached.event_month,
        numbered_steps.step_order,
        numbered_steps.step_number,
        numbered_steps.step_name,
        numbered_steps.event_name,
        steps_reached.reached_at
    from steps_reached
    inner join numbered_steps
        on steps_reached.step_number = numbered_steps.step_number

)

select * from final
