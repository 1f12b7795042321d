{{ config(materialized='ephemeral') }}

with ads as (

    select
        cast(id as {{ dbt.type_string() }}) as ad_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id
    from {{ latest_version(source('facebook_ads', 'ad_history'), 'id', 'updated_time') }}
        as ad_history

)

-- a row per ad and day (basic_ad), in its latest version's campaign
select
    cast(basic_ad.date as date) as spend_date,
    ads.campaign_id,
    cast(basic_ad.spend as decimal(38, 6)) as spend,
    ad_accounts.currency,
    basic_ad.impressions,
    basic_ad.inline_link_clicks as clicks
from {{ source('facebook_ads', 'basic_ad') }} as basic_ad
inner join ads
    on cast(basic_ad.ad_id as {{ dbt.type_string() }}) = ads.ad_id
left join {{ ref('facebook_ads_fivetran__accounts') }} as ad_accounts
    on cast(basic_ad.account_id as {{ dbt.type_string() }}) = ad_accounts.account_id
