{#- One row per campaign: its 3, 6 and 12-month ROI windows side by side (cost, return, ROI
    in percent, window end and completeness), read from int_kpi_rows_roi. -#}
with campaigns as (

    select campaign_id, campaign_name, channel, started_on, ended_on
    from {{ ref('stg_marketing__campaigns') }}

),

roi_rows as (

    select kpi_code, period_end, segment_value, numerator, denominator, value, is_complete_period
    from {{ ref('int_kpi_rows_roi') }}

),

final as (

    select
        campaigns.campaign_id,
        campaigns.campaign_name,
        campaigns.channel,
        campaigns.started_on,
        campaigns.ended_on,
        roi_3m.period_end as window_end_3m,
        roi_3m.denominator as cost_3m,
        roi_3m.numerator + roi_3m.denominator as return_3m,
        roi_3m.value as roi_3m_pct,
        roi_3m.is_complete_period as is_complete_3m,
        roi_6m.period_end as window_end_6m,
        roi_6m.denominator as cost_6m,
        roi_6m.numerator + roi_6m.denominator as return_6m,
        roi_6m.value as roi_6m_pct,
        roi_6m.is_complete_period as is_complete_6m,
        roi_12m.period_end as window_end_12m,
        roi_12m.denominator as cost_12m,
        roi_12m.numerator + roi_12m.denominator as return_12m,
        roi_12m.value as roi_12m_pct,
        roi_12m.is_complete_period as is_complete_12m
    from campaigns
    left join roi_rows as roi_3m
        on
            campaigns.campaign_id = roi_3m.segment_value
            and roi_3m.kpi_code = 'roi_3m'
    left join roi_rows as roi_6m
        on
            campaigns.campaign_id = roi_6m.segment_value
            and roi_6m.kpi_code = 'roi_6m'
    left join roi_rows as roi_12m
        on
            campaigns.campaign_id = roi_12m.segment_value
            and roi_12m.kpi_code = 'roi_12m'

)

select * from final
