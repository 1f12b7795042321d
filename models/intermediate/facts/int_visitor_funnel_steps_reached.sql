{#- One row per visitor, calendar month and funnel step the visitor reached in order that
    month (docs/kpis.md#conversion): step 1 is reached at the first step-1 event of the
    month; step k at the first step-k event at or after (same instant included) the time
    step k-1 was reached, in the same month. Nothing carries over between months. The steps
    and their order come from the seed funnel_steps. No recursion: one join per step, up to
    the var funnel_max_steps (steps beyond the seed's last find no events).
    Monthly partitioned: a run with the vars partition_start_date / partition_end_date
    recomputes the months those days fall in; without them the whole table is rebuilt. -#}
{{ config(pre_hook=["{{ delete_partition_window('event_month', grain='month') }}"]) }}

with visitor_days as (

    select
        visitor_id,
        cast({{ dbt.date_trunc('month', 'occurred_on') }} as date) as event_month,
        first_funnel_step_at
    from {{ ref('int_web_events_daily') }}
    {{ partition_filter('occurred_on', grain='month') }}

),

step_events as (

    select
        visitor_id,
        cast({{ dbt.date_trunc('month', 'occurred_on') }} as date) as event_month,
        step_number,
        occurred_at
    from {{ ref('int_funnel_step_events_daily') }}
    {{ partition_filter('occurred_on', grain='month') }}

),

numbered_steps as (

    {{ numbered_funnel_steps() }}

),

reached_step_1 as (

    select
        visitor_id,
        event_month,
        min(first_funnel_step_at) as reached_at
    from visitor_days
    where first_funnel_step_at is not null
    group by visitor_id, event_month

),

{# Step k: the first step-k instant at or after the instant step k-1 was reached. #}
{%- for step in range(2, var('funnel_max_steps') + 1) %}

    reached_step_{{ step }} as (

        select
            step_events.visitor_id,
            step_events.event_month,
            min(step_events.occurred_at) as reached_at
        from reached_step_{{ step - 1 }} as previous_step
        inner join step_events
            on
                previous_step.visitor_id = step_events.visitor_id
                and previous_step.event_month = step_events.event_month
                and previous_step.reached_at <= step_events.occurred_at
        where step_events.step_number = {{ step }}
        group by step_events.visitor_id, step_events.event_month

    ),
{%- endfor %}

steps_reached as (

    {%- for step in range(1, var('funnel_max_steps') + 1) %}
        {%- if not loop.first %}
            union all
        {%- endif %}
        select
            visitor_id,
            event_month,
            {{ step }} as step_number,
            reached_at
        from reached_step_{{ step }}
    {%- endfor %}

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
