{#- KPI rows of cost per lead (docs/kpis.md#cost-per-lead): cpl (ad spend of the month / leads
    created in the month) and cost_per_mql (the same spend / leads qualified in the month), for
    campaign/<campaign_id>, channel/<channel> (channels with at least one campaign) and
    total/all (all ad spend / leads carrying a campaign_id), one row per published month. -#}
with calendar_months as (

    select month_start, month_end, is_complete_period
    from {{ ref('int_calendar_months') }}

),

ad_spend as (

    select campaign_id, spend_month, channel, spend
    from {{ ref('int_ad_spend_converted') }}

),

leads as (

    select lead_id, created_at, qualified_at, channel, campaign_id
    from {{ ref('stg_crm__leads') }}

),

paid_channels as (

    select channel from {{ ref('int_paid_channels') }}

),

kpi_codes as (

    select 'cpl' as kpi_code
    union all
    select 'cost_per_mql' as kpi_code

),

{# A lead counts for cpl in the month it was created and for cost_per_mql in the month it
    was qualified. #}
lead_months as (

    select
        'cpl' as kpi_code,
        lead_id,
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as month_start,
        channel,
        campaign_id
    from leads
    union all
    select
        'cost_per_mql' as kpi_code,
        lead_id,
        cast({{ dbt.date_trunc('month', 'qualified_at') }} as date) as month_start,
        channel,
        campaign_id
    from leads
    where qualified_at is not null

),

spend_by_segment as (

    select
        spend_month as month_start,
        'campaign' as segment_type,
        campaign_id as segment_value,
        sum(spend) as ad_spend
    from ad_spend
    group by spend_month, campaign_id
    union all
    select
        ad_spend.spend_month as month_start,
        'channel' as segment_type,
        ad_spend.channel as segment_value,
        sum(ad_spend.spend) as ad_spend
    from ad_spend
    inner join paid_channels
        on ad_spend.channel = paid_channels.channel
    group by ad_spend.spend_month, ad_spend.channel
    union all
    select
        spend_month as month_start,
        'total' as segment_type,
        'all' as segment_value,
        sum(spend) as ad_spend
    from ad_spend
    group by spend_month

),

leads_by_segment as (

    select
        kpi_code,
        month_start,
        'campaign' as segment_type,
        campaign_id as segment_value,
        count(lead_id) as lead_count
    from lead_months
    where campaign_id is not null
    group by kpi_code, month_start, campaign_id
    union all
    select
        lead_months.kpi_code,
        lead_months.month_start,
        'channel' as segment_type,
        lead_months.channel as segment_value,
        count(lead_months.lead_id) as lead_count
    from lead_months
    inner join paid_channels
        on lead_months.channel = paid_channels.channel
    group by lead_months.kpi_code, lead_months.month_start, lead_months.channel
    union all
    select
        kpi_code,
        month_start,
        'total' as segment_type,
        'all' as segment_value,
        count(lead_id) as lead_count
    from lead_months
    where campaign_id is not null
    group by kpi_code, month_start

),

{# Rows: every segment with spend or leads in the month, plus total/all for every
    published month. #}
segment_keys as (

    select
        kpi_codes.kpi_code,
        spend_by_segment.month_start,
        spend_by_segment.segment_type,
        spend_by_segment.segment_value
    from spend_by_segment
    cross join kpi_codes
    union
    select kpi_code, month_start, segment_type, segment_value
    from leads_by_segment
    union
    select
        kpi_codes.kpi_code,
        calendar_months.month_start,
        'total' as segment_type,
        'all' as segment_value
    from calendar_months
    cross join kpi_codes

),

kpi_rows as (

    select
        segment_keys.kpi_code,
        segment_keys.month_start,
        segment_keys.segment_type,
        segment_keys.segment_value,
        cast(coalesce(spend_by_segment.ad_spend, 0) as {{ type_double() }}) as numerator,
        cast(coalesce(leads_by_segment.lead_count, 0) as {{ type_double() }}) as denominator
    from segment_keys
    left join spend_by_segment
        on
            segment_keys.month_start = spend_by_segment.month_start
            and segment_keys.segment_type = spend_by_segment.segment_type
            and segment_keys.segment_value = spend_by_segment.segment_value
    left join leads_by_segment
        on
            segment_keys.kpi_code = leads_by_segment.kpi_code
            and segment_keys.month_start = leads_by_segment.month_start
            and segment_keys.segment_type = leads_by_segment.segment_type
            and segment_keys.segment_value = leads_by_segment.segment_value

),

final as (

    {{ kpi_rows_final('kpi_rows', calendar='calendar_months', unit="'currency'") }}

)

select * from final
