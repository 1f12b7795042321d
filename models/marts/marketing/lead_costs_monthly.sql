{#- One row per published month and segment (total/all, campaign/<campaign_id>,
    channel/<channel>) with a cpl or cost_per_mql row in int_kpi_rows_cost_per_lead: the ad
    spend, the leads created and qualified, cost per lead and cost per MQL. -#}
with cpl as (

    {{ select_kpi_rows('int_kpi_rows_cost_per_lead', 'cpl') }}

),

cost_per_mql as (

    {{ select_kpi_rows('int_kpi_rows_cost_per_lead', 'cost_per_mql') }}

),

final as (

    select
        coalesce(cpl.period_start, cost_per_mql.period_start) as month_start,
        coalesce(cpl.period_end, cost_per_mql.period_end) as month_end,
        coalesce(cpl.segment_type, cost_per_mql.segment_type) as segment_type,
        coalesce(cpl.segment_value, cost_per_mql.segment_value) as segment_value,
        coalesce(cpl.numerator, cost_per_mql.numerator) as ad_spend,
        cast(coalesce(cpl.denominator, 0) as {{ dbt.type_bigint() }}) as leads_created,
        cpl.value as cost_per_lead,
        cast(coalesce(cost_per_mql.denominator, 0) as {{ dbt.type_bigint() }})
            as marketing_qualified_leads,
        cost_per_mql.value as cost_per_mql,
        coalesce(cpl.is_complete_period, cost_per_mql.is_complete_period)
            as is_complete_period
    from cpl
    full outer join cost_per_mql
        on {{ keys_equal('cpl', 'cost_per_mql') }}

)

select * from final
