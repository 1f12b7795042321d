{#- One row per campaign and day of ad spend, in the reporting currency at the rate of the
    spend date, with the campaign's channel.
    Daily partitioned (Dagster) on spend_date: a run with the vars partition_start_date /
    partition_end_date replaces exactly the spend dated in that inclusive window; without
    them (and on the first build) the whole table is rebuilt. -#}
{{ config(pre_hook=["{{ delete_partition_window('spend_date') }}"]) }}

with ad_spend as (

    select spend_date, campaign_id, spend, currency, impressions, clicks
    from {{ ref('stg_marketing__ad_spend') }}
    {{ partition_filter('spend_date') }}

),

campaigns as (

    select campaign_id, channel from {{ ref('stg_marketing__campaigns') }}

),

final as (

    select
        ad_spend.campaign_id,
        ad_spend.spend_date,
        cast({{ dbt.date_trunc('month', 'ad_spend.spend_date') }} as date) as spend_month,
        campaigns.channel,
        ad_spend.impressions,
        ad_spend.clicks,
        {{ converted_money('ad_spend', 'spend') }}
    from ad_spend
    left join campaigns
        on ad_spend.campaign_id = campaigns.campaign_id
    {{ join_fx_rate('ad_spend', 'ad_spend.spend_date') }}

)

select * from final
