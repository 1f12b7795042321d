{{ config(alias='ad_spend') }}

with report_rows as (

    {{ ads_union(
        'report_rows',
        ['spend_date', 'campaign_id', 'spend', 'currency', 'impressions', 'clicks']
    ) }}

),

campaigns as (

    select campaign_id
    from {{ ref('ads__campaigns') }}

),

-- a row per campaign and day: the platform's rows of the day (networks, devices, ads) summed
final as (

    select
        report_rows.spend_date,
        report_rows.campaign_id,
        cast(sum(coalesce(report_rows.spend, 0)) as decimal(18, 4)) as spend,
        report_rows.currency,
        cast(sum(coalesce(report_rows.impressions, 0)) as {{ dbt.type_bigint() }}) as impressions,
        cast(sum(coalesce(report_rows.clicks, 0)) as {{ dbt.type_bigint() }}) as clicks,
        cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }}) as _loaded_at
    from report_rows
    -- only the campaigns mapped: a report row of an unknown campaign is left out
    inner join campaigns
        on report_rows.campaign_id = campaigns.campaign_id
    group by
        report_rows.spend_date,
        report_rows.campaign_id,
        report_rows.currency

)

select
    spend_date,
    campaign_id,
    spend,
    currency,
    impressions,
    clicks,
    _loaded_at
from final
