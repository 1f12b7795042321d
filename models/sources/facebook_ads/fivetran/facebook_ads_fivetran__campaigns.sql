{{ config(materialized='ephemeral') }}

{%- set in_account_time = "coalesce(ad_accounts.timezone_offset_minutes, 0)" %}

-- Fivetran keeps the times in UTC; the days of the reports are the account's.
with campaigns_in_account_time as (

    select
        cast(campaign_history.id as {{ dbt.type_string() }}) as campaign_id,
        campaign_history.name as campaign_name,
        {{ dbt.dateadd(
            'minute',
            in_account_time,
            'coalesce(campaign_history.start_time, campaign_history.created_time)'
        ) }} as started_at,
        {{ dbt.dateadd('minute', in_account_time, 'campaign_history.stop_time') }} as stopped_at
    from {{ latest_version(source('facebook_ads', 'campaign_history'), 'id', 'updated_time') }}
        as campaign_history
    left join {{ ref('facebook_ads_fivetran__accounts') }} as ad_accounts
        on cast(campaign_history.account_id as {{ dbt.type_string() }}) = ad_accounts.account_id

)

select
    campaign_id,
    campaign_name,
    'paid_social' as channel,
    cast(started_at as date) as started_on,
    -- the last day it ran: the day of the moment before it stopped
    cast({{ dbt.dateadd('second', -1, 'stopped_at') }} as date) as ended_on
from campaigns_in_account_time
