{{ config(alias='web_events') }}

{#- The JSON structures (json_transform) of the nested columns read: every value as text. -#}
{%- set params_structure = '[{"key": "VARCHAR", "value": {"string_value": "VARCHAR", '
    ~ '"int_value": "VARCHAR", "float_value": "VARCHAR", "double_value": "VARCHAR"}}]' %}

with landed as (

    {{ ga4_landed_events() }}

),

campaigns as (

    {#- The campaigns of this run's mapping when an ads layout maps them (ads__campaigns,
        waited for), else as loaded from files. #}
    {%- if var('ads_source', 'files') != 'files' %}
    select campaign_id from {{ ref('ads__campaigns') }}
    {%- else %}
    select campaign_id from {{ source('marketing', 'campaigns') }}
    {%- endif %}

),

events_typed as (

    select
        user_pseudo_id,
        event_timestamp,
        event_name,
        json_extract_string(collected_traffic_source, '$.manual_source') as collected_source,
        json_extract_string(collected_traffic_source, '$.manual_medium') as collected_medium,
        json_extract_string(collected_traffic_source, '$.manual_campaign_id')
            as collected_campaign_id,
        json_extract_string(collected_traffic_source, '$.gclid') as collected_gclid,
        list_transform(
            json_transform(event_params, '{{ params_structure }}'),
            lambda param: {
                'key': struct_extract(param, 'key'),
                'value': coalesce(
                    struct_extract(struct_extract(param, 'value'), 'string_value'),
                    struct_extract(struct_extract(param, 'value'), 'int_value'),
                    struct_extract(struct_extract(param, 'value'), 'float_value'),
                    struct_extract(struct_extract(param, 'value'), 'double_value')
                )
            }
        ) as params,
        cast(event_params as varchar) as params_text
    from landed
    where user_pseudo_id is not null and event_timestamp is not null and event_name is not null

),

events_sourced as (

    select
        user_pseudo_id,
        event_timestamp,
        event_name,
        params_text,
        user_pseudo_id || coalesce({{ ga4_param('params', 'ga_session_id') }}, '') as session_id,
        {#- The campaign goes with the source and medium it was found with. -#}
        case
            when collected_source is not null or collected_medium is not null
                then {
                        'source': lower(collected_source),
                        'medium': lower(collected_medium),
                        'campaign_id': collected_campaign_id
                    }
            when {{ ga4_param('params', 'source') }} is not null
                or {{ ga4_param('params', 'medium') }} is not null
                then {
                        'source': lower({{ ga4_param('params', 'source') }}),
                        'medium': lower({{ ga4_param('params', 'medium') }}),
                        'campaign_id': {{ ga4_param('params', 'campaign_id') }}
                    }
            when coalesce(collected_gclid, {{ ga4_param('params', 'gclid') }}) is not null
                then {
                        'source': 'google',
                        'medium': 'cpc',
                        'campaign_id': coalesce(
                            collected_campaign_id, {{ ga4_param('params', 'campaign_id') }}
                        )
                    }
        end as traffic,
        row_number() over (
            partition by user_pseudo_id, event_timestamp, event_name
            order by params_text
        ) as position_among_identical
    from events_typed

),

session_traffic as (

    select
        session_id,
        struct_extract(traffic, 'source') as traffic_source,
        struct_extract(traffic, 'medium') as traffic_medium,
        struct_extract(traffic, 'campaign_id') as traffic_campaign_id
    from events_sourced
    where traffic is not null
    {#- Events of one instant ordered by all they hold: the same pick on every refresh. #}
    qualify row_number() over (
            partition by session_id
            order by event_timestamp, params_text, cast(traffic as varchar)
        ) = 1

),

final as (

    select
        md5(
            events_sourced.user_pseudo_id
            || '|' || cast(events_sourced.event_timestamp as varchar)
            || '|' || events_sourced.event_name
            || '|' || cast(events_sourced.position_among_identical as varchar)
        ) as event_id,
        make_timestamp(events_sourced.event_timestamp) as occurred_at,
        events_sourced.user_pseudo_id as visitor_id,
        events_sourced.session_id,
        {{ ga4_event_name('events_sourced.event_name') }} as event_name,
        {{ ga4_channel('session_traffic.traffic_source', 'session_traffic.traffic_medium') }}
            as channel,
        campaigns.campaign_id,
        cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }}) as _loaded_at
    from events_sourced
    left join session_traffic
        on events_sourced.session_id = session_traffic.session_id
    left join campaigns
        on session_traffic.traffic_campaign_id = campaigns.campaign_id

)

select
    event_id,
    occurred_at,
    visitor_id,
    session_id,
    event_name,
    channel,
    campaign_id,
    _loaded_at
from final
