{#- One row per market-research row, with the market revenue in the reporting currency at
    the rate of period_end, and the grain named from the period length. -#}
with market_sizes as (

    select period_start, period_end, region, product_line, market_revenue, currency, source
    from {{ ref('stg_marketing__market_sizes') }}

),

final as (

    select
        market_sizes.period_start,
        market_sizes.period_end,
        case
            when
                {{ dbt.datediff('market_sizes.period_start', 'market_sizes.period_end', 'month') }}
                >= 11
                then 'year'
            when
                {{ dbt.datediff('market_sizes.period_start', 'market_sizes.period_end', 'month') }}
                >= 2
                then 'quarter'
            else 'month'
        end as period_grain,
        market_sizes.region,
        market_sizes.product_line,
        market_sizes.source,
        {{ converted_money('market_sizes', 'market_revenue') }}
    from market_sizes
    {{ join_fx_rate('market_sizes', 'market_sizes.period_end') }}

)

select * from final
