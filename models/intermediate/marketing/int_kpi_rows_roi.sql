{#- KPI rows of campaign return on investment (kpis.md section 5): roi_3m, roi_6m and roi_12m,
    one row per campaign and horizon. The window is [started_on, started_on + h months)
    (calendar-month addition); cost = ad spend of the campaign dated in the window; return =
    gross margin x revenue (non-void invoices, credit notes included) issued in the window
    by the customers whose acquisition_campaign_id is the campaign
    (int_campaign_attributed_invoices). -#}
{%- set horizons = [3, 6, 12] %}
with reporting_window as (

    select as_of_date from {{ ref('int_reporting_window') }}

),

campaigns as (

    select campaign_id, started_on from {{ ref('stg_marketing__campaigns') }}

),

ad_spend as (

    select campaign_id, spend_date, spend from {{ ref('int_ad_spend_converted') }}

),

campaign_revenue_invoices as (

    select campaign_id, issued_on, amount from {{ ref('int_campaign_attributed_invoices') }}

),

campaign_windows as (

    {%- for horizon in horizons %}
        select
            'roi_{{ horizon }}m' as kpi_code,
            campaign_id,
            started_on as window_start,
            cast({{ dbt.dateadd('month', horizon, 'started_on') }} as date) as window_end
        from campaigns
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

window_costs as (

    select
        campaign_windows.kpi_code,
        campaign_windows.campaign_id,
        sum(ad_spend.spend) as campaign_cost
    from campaign_windows
    inner join ad_spend
        on
            campaign_windows.campaign_id = ad_spend.campaign_id
            and campaign_windows.window_start <= ad_spend.spend_date
            and campaign_windows.window_end > ad_spend.spend_date
    group by campaign_windows.kpi_code, campaign_windows.campaign_id

),

window_revenue as (

    select
        campaign_windows.kpi_code,
        campaign_windows.campaign_id,
        sum(campaign_revenue_invoices.amount) as revenue
    from campaign_windows
    inner join campaign_revenue_invoices
        on
            campaign_windows.campaign_id = campaign_revenue_invoices.campaign_id
            and campaign_windows.window_start <= campaign_revenue_invoices.issued_on
            and campaign_windows.window_end > campaign_revenue_invoices.issued_on
    group by campaign_windows.kpi_code, campaign_windows.campaign_id

),

kpi_rows as (

    select
        campaign_windows.kpi_code,
        campaign_windows.campaign_id,
        campaign_windows.window_start,
        cast({{ dbt.dateadd('day', -1, 'campaign_windows.window_end') }} as date)
            as window_last_day,
        cast({{ var('gross_margin') }} as {{ type_double() }})
        * cast(coalesce(window_revenue.revenue, 0) as {{ type_double() }}) as campaign_return,
        cast(coalesce(window_costs.campaign_cost, 0) as {{ type_double() }}) as campaign_cost
    from campaign_windows
    left join window_costs
        on
            campaign_windows.kpi_code = window_costs.kpi_code
            and campaign_windows.campaign_id = window_costs.campaign_id
    left join window_revenue
        on
            campaign_windows.kpi_code = window_revenue.kpi_code
            and campaign_windows.campaign_id = window_revenue.campaign_id

),

final as (

    {{ kpi_rows_final(
        'kpi_rows',
        period_start='kpi_rows.window_start',
        period_end='kpi_rows.window_last_day',
        period_grain="'campaign_window'",
        segment_type="'campaign'",
        segment_value='kpi_rows.campaign_id',
        numerator='kpi_rows.campaign_return - kpi_rows.campaign_cost',
        denominator='kpi_rows.campaign_cost',
        value='numerator * 100 / nullif(denominator, 0)',
        unit="'percent'",
        is_complete_period='kpi_rows.window_last_day <= reporting_window.as_of_date',
        join='cross join reporting_window',
    ) }}

)

select * from final
