{#- KPI rows of campaign return on investment (docs/kpis.md#return-on-investment): roi_3m, roi_6m
    and roi_12m, one row per campaign and horizon. The window is [started_on, started_on + h months)
    (calendar-month addition); cost = ad spend of the campaign dated in the window; return =
    gross margin x revenue (non-void invoices, credit notes included) issued in the window
    by the customers whose acquisition_campaign_id is the campaign
    (int_campaign_attributed_invoices). -#}
{%- set horizons = {'roi_3m': 3, 'roi_6m': 6, 'roi_12m': 12} %}
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

    {%- for kpi_code, horizon in horizons.items() %}
        select
            '{{ kpi_code }}' as kpi_code,
            campaign_id,
            started_on as window_start,
            cast({{ dbt.dateadd('month', horizon, 'started_on') }} as date) as window_end
        from campaigns
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

{# Ad spend (cost) and attributed revenue of every campaign, dated. #}
campaign_amounts as (

    select campaign_id, spend_date as amount_on, spend as spend_amount, 0 as revenue_amount
    from ad_spend
    union all
    select campaign_id, issued_on as amount_on, 0 as spend_amount, amount as revenue_amount
    from campaign_revenue_invoices

),

window_amounts as (

    select
        campaign_windows.kpi_code,
        campaign_windows.campaign_id,
        sum(campaign_amounts.spend_amount) as campaign_cost,
        sum(campaign_amounts.revenue_amount) as revenue
    from campaign_windows
    inner join campaign_amounts
        on
            campaign_windows.campaign_id = campaign_amounts.campaign_id
            and campaign_windows.window_start <= campaign_amounts.amount_on
            and campaign_windows.window_end > campaign_amounts.amount_on
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
        * cast(coalesce(window_amounts.revenue, 0) as {{ type_double() }}) as campaign_return,
        cast(coalesce(window_amounts.campaign_cost, 0) as {{ type_double() }}) as campaign_cost
    from campaign_windows
    left join window_amounts
        on
            campaign_windows.kpi_code = window_amounts.kpi_code
            and campaign_windows.campaign_id = window_amounts.campaign_id

),

final as (

    {{ kpi_rows_final('kpi_rows', period_grain="'campaign_window'", unit="'percent'",
        period_start='kpi_rows.window_start', period_end='kpi_rows.window_last_day',
        segment_type="'campaign'", segment_value='kpi_rows.campaign_id',
        numerator='kpi_rows.campaign_return - kpi_rows.campaign_cost',
        denominator='kpi_rows.campaign_cost', value='numerator * 100 / nullif(denominator, 0)',
        is_complete_period='kpi_rows.window_last_day <= reporting_window.as_of_date',
        join='cross join reporting_window') }}

)

select * from final
