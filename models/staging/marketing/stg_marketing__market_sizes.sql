with source as (

    select * from {{ source('marketing', 'market_sizes') }}

),

renamed as (

    select
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(product_line as {{ dbt.type_string() }}) as product_line,
        cast(market_revenue as decimal(18, 4)) as market_revenue,
        upper(cast(currency as {{ dbt.type_string() }})) as currency,
        cast(source as {{ dbt.type_string() }}) as source
    from source

)

select * from renamed
