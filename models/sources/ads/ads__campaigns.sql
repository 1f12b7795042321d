{{ config(alias='campaigns') }}

with platform_campaigns as (

    {{ ads_union(
        'campaigns',
        ['campaign_id', 'campaign_name', 'channel', 'started_on', 'ended_on']
    ) }}

),

first_spend as (

    select
        campaign_id,
        min(spend_date) as first_spend_date
    from ({{ ads_union('report_rows', ['campaign_id', 'spend_date']) }}) as report_rows
    group by campaign_id

),

final as (

    select
        platform_campaigns.campaign_id,
        coalesce(platform_campaigns.campaign_name, platform_campaigns.campaign_id)
            as campaign_name,
        platform_campaigns.channel,
        -- a campaign without a start date started on its first day of spend
        coalesce(platform_campaigns.started_on, first_spend.first_spend_date) as started_on,
        platform_campaigns.ended_on,
        cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }}) as _loaded_at
    from platform_campaigns
    left join first_spend
        on platform_campaigns.campaign_id = first_spend.campaign_id

)

select
    campaign_id,
    campaign_name,
    channel,
    started_on,
    ended_on,
    _loaded_at
from final
