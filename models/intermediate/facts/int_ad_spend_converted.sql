{#- One row per campaign and day of ad spend, in the reporting currency at the rate of the
    spend date, with the campaign's channel.
    Daily partitioned (Dagster) on spend_date: a run with the vars partition_start_date /
    partition_end_date replaces exactly the spend dated in that inclusive window; without
    them (and on the first build) the whole table is rebuilt. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='sync_all_columns',
        tags=['partitioned_daily'],
        pre_hook=["{{ delete_partition_window('spend_date') }}"],
    )
}}

with ad_spend as (

    select spend_date, campaign_id, spend, currency, impressions, clicks
    from {{ ref('stg_marketing__ad_spend') }}
    {% if is_partition_run() %}
        where {{ partition_window_predicate('spend_date') }}
    {% endif %}

),

campaigns as (

    select campaign_id, channel from {{ ref('stg_marketing__campaigns') }}

),

fx_rates_daily as (

    select rate_date, currency, rate_to_reporting from {{ ref('int_fx_rates_daily') }}

),

final as (

    select
        ad_spend.campaign_id,
        ad_spend.spend_date,
        cast({{ dbt.date_trunc('month', 'ad_spend.spend_date') }} as date) as spend_month,
        campaigns.channel,
        ad_spend.impressions,
        ad_spend.clicks,
        ad_spend.currency as original_currency,
        ad_spend.spend as original_spend,
        ad_spend.spend * fx_rates_daily.rate_to_reporting as spend
    from ad_spend
    left join campaigns
        on ad_spend.campaign_id = campaigns.campaign_id
    left join fx_rates_daily
        on
            ad_spend.currency = fx_rates_daily.currency
            and ad_spend.spend_date = fx_rates_daily.rate_date

)

select * from final
