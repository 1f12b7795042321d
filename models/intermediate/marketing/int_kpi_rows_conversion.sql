{#- KPI rows of conversion (docs/kpis.md#conversion): conversion_rate (visitors with a
    goal event in the month / visitors of the month x 100; total/all and channel/<first-event
    channel>) and funnel_step_conversion (visitors reaching step k in order / visitors reaching step
    k-1 x 100, step 1 over all visitors; segment funnel_step/<event_name>, plus a total/all row =
    visitors reaching the last step in order / visitors of the month x 100). -#}
with calendar_months as (

    select month_start, month_end, is_complete_period
    from {{ ref('int_calendar_months') }}

),

visitor_funnel as (

    select visitor_id, event_month, channel, steps_reached_in_order, has_goal_event
    from {{ ref('int_visitor_funnel_monthly') }}

),

numbered_steps as (

    {{ numbered_funnel_steps() }}

),

step_count as (

    select max(step_count) as step_count from numbered_steps

),

visitors_monthly as (

    select
        visitor_funnel.event_month as month_start,
        count(visitor_funnel.visitor_id) as visitors,
        sum(case when visitor_funnel.has_goal_event then 1 else 0 end) as goal_visitors,
        sum(
            case
                when visitor_funnel.steps_reached_in_order >= step_count.step_count then 1
                else 0
            end
        ) as funnel_completed_visitors
    from visitor_funnel
    cross join step_count
    group by visitor_funnel.event_month

),

visitors_by_channel_monthly as (

    select
        event_month as month_start,
        channel,
        count(visitor_id) as visitors,
        sum(case when has_goal_event then 1 else 0 end) as goal_visitors
    from visitor_funnel
    group by event_month, channel

),

{# Reaching step k implies having reached steps 1..k-1, so the visitors reaching step k are
    those whose steps_reached_in_order >= k, and those "reaching step 0" are all visitors. #}
visitors_by_step_monthly as (

    select
        visitor_funnel.event_month as month_start,
        numbered_steps.event_name,
        sum(
            case
                when visitor_funnel.steps_reached_in_order >= numbered_steps.step_number then 1
                else 0
            end
        ) as visitors_reaching_step,
        sum(
            case
                when visitor_funnel.steps_reached_in_order >= numbered_steps.step_number - 1 then 1
                else 0
            end
        ) as visitors_reaching_previous_step
    from visitor_funnel
    cross join numbered_steps
    group by visitor_funnel.event_month, numbered_steps.event_name

),

{# Every published month has both total rows, zero visitors included. #}
monthly_totals as (

    select
        calendar_months.month_start,
        coalesce(visitors_monthly.visitors, 0) as visitors,
        coalesce(visitors_monthly.goal_visitors, 0) as goal_visitors,
        coalesce(visitors_monthly.funnel_completed_visitors, 0) as funnel_completed_visitors
    from calendar_months
    left join visitors_monthly
        on calendar_months.month_start = visitors_monthly.month_start

),

kpi_rows as (

    {{ unpivot('monthly_totals', ['kpi_code', 'segment_type', 'segment_value', 'numerator'], [
        ["'conversion_rate'", "'total'", "'all'", 'goal_visitors'],
        ["'funnel_step_conversion'", "'total'", "'all'", 'funnel_completed_visitors'],
    ], keep=['month_start', 'visitors as denominator']) }}
    union all
    select
        month_start,
        visitors as denominator,
        'conversion_rate' as kpi_code,
        'channel' as segment_type,
        channel as segment_value,
        goal_visitors as numerator
    from visitors_by_channel_monthly
    union all
    select
        month_start,
        visitors_reaching_previous_step as denominator,
        'funnel_step_conversion' as kpi_code,
        'funnel_step' as segment_type,
        event_name as segment_value,
        visitors_reaching_step as numerator
    from visitors_by_step_monthly
    where visitors_reaching_step > 0 or visitors_reaching_previous_step > 0

),

final as (

    {{ kpi_rows_final('kpi_rows', calendar='calendar_months', unit="'percent'",
        value='numerator * 100 / nullif(denominator, 0)') }}

)

select * from final
