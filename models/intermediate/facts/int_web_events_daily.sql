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
        pre_hook=[
            "{% if is_incremental() %}delete from {{ this }}{% if var('partition_start_date', none) %} where occurred_on between cast('{{ var('partition_start_date') }}' as date) and cast('{{ var('partition_end_date') }}' as date){% endif %}{% endif %}"
        ],
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
    {% if is_incremental() and var('partition_start_date', none) %}
        where
            occurred_on between cast('{{ var("partition_start_date") }}' as date)
            and cast('{{ var("partition_end_date") }}' as date)
    {% endif %}

)

select * from final
