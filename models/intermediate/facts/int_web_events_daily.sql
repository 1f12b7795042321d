{#- One row per tracked web event, with its UTC date. Daily partitioned (Dagster): a run
    with the vars partition_start_date / partition_end_date replaces exactly the events whose
    occurred_on lies in that inclusive window; without them (and on the first build) the
    whole table is rebuilt. Re-running a window gives the same rows. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='sync_all_columns',
        tags=['partitioned_daily'],
        pre_hook=["{{ delete_partition_window('occurred_on') }}"],
    )
}}

with web_events as (

    select
        event_id,
        occurred_at,
        cast(occurred_at as date) as occurred_on,
        visitor_id,
        session_id,
        event_name,
        channel,
        campaign_id
    from {{ ref('stg_marketing__web_events') }}

),

final as (

    select
        event_id,
        occurred_at,
        occurred_on,
        visitor_id,
        session_id,
        event_name,
        channel,
        campaign_id
    from web_events
    {% if is_partition_run() %}
        where {{ partition_window_predicate('occurred_on') }}
    {% endif %}

)

select * from final
