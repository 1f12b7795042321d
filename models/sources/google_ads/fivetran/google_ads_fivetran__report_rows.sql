{{ config(materialized='ephemeral') }}

{%- set account_history = source('google_ads', 'account_history') %}
{%- set is_active = landed_column(account_history, '_fivetran_active', 'true') %}
{%- set only_active = 'coalesce(' ~ is_active ~ ', true)' %}

with accounts as (

    select
        cast(id as {{ dbt.type_string() }}) as account_id,
        upper(currency_code) as currency
    from {{ latest_version(account_history, 'id', 'updated_at', only_active) }} as account_history

)

-- a row per campaign, day, ad network and device
select
    cast(campaign_stats.date as date) as spend_date,
    cast(campaign_stats.id as {{ dbt.type_string() }}) as campaign_id,
    -- micros: millionths of the account's currency
    cast(campaign_stats.cost_micros as decimal(38, 6)) * 0.000001 as spend,
    accounts.currency,
    campaign_stats.impressions,
    campaign_stats.clicks
from {{ source('google_ads', 'campaign_stats') }} as campaign_stats
left join accounts
    on cast(campaign_stats.customer_id as {{ dbt.type_string() }}) = accounts.account_id
