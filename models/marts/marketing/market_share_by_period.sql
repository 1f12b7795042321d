{#- Market share for BI: one row per market-research period and segment
    (region_product_line, region, product_line), with the region and the product line in
    their own columns. Reads the KPI rows; recomputes nothing. -#}
with market_share as (

    {{ select_kpi_rows(
        'int_kpi_rows_market_share',
        'market_share',
        keys=['period_start', 'period_end', 'period_grain', 'segment_type', 'segment_value'],
    ) }}

),

final as (

    select
        period_start,
        period_end,
        period_grain,
        segment_type,
        segment_value,
        case
            when segment_type = 'region' then segment_value
            when segment_type = 'region_product_line'
                then {{ dbt.split_part('segment_value', "'|'", 1) }}
        end as region,
        case
            when segment_type = 'product_line' then segment_value
            when segment_type = 'region_product_line'
                then {{ dbt.split_part('segment_value', "'|'", 2) }}
        end as product_line,
        numerator as company_revenue,
        denominator as market_revenue,
        value as market_share_pct,
        is_complete_period
    from market_share

)

select * from final
