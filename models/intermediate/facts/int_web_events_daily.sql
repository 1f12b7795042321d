{#- One row per web visitor and UTC day with any web event: how many events, the first
    instant and the channel of the first event (ties on occurred_at: smallest event_id), and
    the first instant of an event of the funnel's first step. A daily aggregate, not a copy
    of the events: what the monthly visitor and funnel models need (later funnel steps are
    in int_funnel_step_events_daily).
    Daily partitioned (Dagster): a run with the vars partition_start_date /
    partition_end_date replaces exactly the visitor-days whose occurred_on lies in that
    inclusive window; without them (and on the first build) the whole table is rebuilt.
    first_funnel_step_at depends on the seed funnel_steps: after editing the seed, rebuild
    with --full-refresh. -#}
{{ config(pre_hook=["{{ delete_partition_window('occurred_on') }}"]) }}

{%- set first_event_order = ['web_events.occurred_at', 'web_events.event_id'] %}

with web_events as (

    select
        event_id,
        occurred_at,
        cast(occurred_at as date) as occurred_on,
        visitor_id,
        event_name,
        channel
    from {{ ref('stg_marketing__web_events') }}
    {{ partition_filter('cast(occurred_at as date)') }}

),

numbered_steps as (

    {{ numbered_funnel_steps() }}

),

first_funnel_step as (

    select event_name from numbered_steps
    where step_number = 1

),

final as (

    select
        web_events.visitor_id,
        web_events.occurred_on,
        count(web_events.event_id) as event_count,
        min(web_events.occurred_at) as first_event_at,
        {{ first_value_by('web_events.channel', first_event_order) }} as first_event_channel,
        min(
            case
                when first_funnel_step.event_name is not null then web_events.occurred_at
            end
        ) as first_funnel_step_at
    from web_events
    left join first_funnel_step
        on web_events.event_name = first_funnel_step.event_name
    group by web_events.visitor_id, web_events.occurred_on

)

select * from final
