{{ config(materialized='ephemeral') }}

{%- set campaign_history = source('google_ads', 'campaign_history') %}
{%- set is_active = landed_column(campaign_history, '_fivetran_active', 'true') %}
{%- set only_active = 'coalesce(' ~ is_active ~ ', true)' %}

select
    cast(id as {{ dbt.type_string() }}) as campaign_id,
    name as campaign_name,
    case
        when upper(advertising_channel_type) in (
                'SEARCH',
                'SHOPPING',
                'HOTEL',
                'LOCAL_SERVICES',
                'TRAVEL',
                'SMART',
                'PERFORMANCE_MAX'
            ) then 'paid_search'
        else 'other'
    end as channel,
    cast(start_date as date) as started_on,
    -- 2037-12-30: Google's end date of a campaign without one
    case
        when cast(end_date as date) < cast('2037-12-30' as date) then cast(end_date as date)
    end as ended_on
from {{ latest_version(campaign_history, 'id', 'updated_at', only_active) }} as campaign_history
