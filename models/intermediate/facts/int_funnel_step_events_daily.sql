{#- The web events of the funnel's later steps (kpis.md section 4, "Funnel"): one row per
    visitor, UTC day, step after the first and distinct instant of an event of that step.
    Step k is reached at the first step-k event at or after step k-1, which may be any of
    them; step 1 is reached at the month's first step-1 event, so only the day's first one
    matters: it is int_web_events_daily.first_funnel_step_at.
    Daily partitioned (Dagster), like int_web_events_daily. step_number comes from the seed
    funnel_steps: after editing the seed, rebuild with --full-refresh. -#}
{{ config(pre_hook=["{{ delete_partition_window('occurred_on') }}"]) }}

with web_events as (

    select
        occurred_at,
        cast(occurred_at as date) as occurred_on,
        visitor_id,
        event_name
    from {{ ref('stg_marketing__web_events') }}
    {{ partition_filter('cast(occurred_at as date)') }}

),

numbered_steps as (

    {{ numbered_funnel_steps() }}

),

step_events as (

    select
        web_events.visitor_id,
        web_events.occurred_on,
        numbered_steps.step_number,
        web_events.occurred_at
    from web_events
    inner join numbered_steps
        on web_events.event_name = numbered_steps.event_name

),

final as (

    select distinct
        visitor_id,
        occurred_on,
        step_number,
        occurred_at
    from step_events
    where step_number > 1

)

select * from final
