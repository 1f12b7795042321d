{{ config(materialized='ephemeral') }}

{%- set charges_per_month = stripe_charges_per_month(
    'recurring_interval', 'recurring_interval_count'
) %}

with prices as (

    select
        id,
        lookup_key,
        nickname,
        product_id,
        currency,
        unit_amount,
        recurring_interval,
        recurring_interval_count
    from {{ stripe_landed('price') }}
    where coalesce(livemode, true)

),

products as (

    select
        id,
        name,
        metadata
    from {{ stripe_landed('product') }}

),

prices_with_products as (

    select
        prices.id as price_id,
        coalesce(prices.lookup_key, prices.id) as plan_id,
        coalesce(prices.nickname, products.name, prices.id) as plan_name,
        coalesce(
            {{ json_text('products.metadata', 'product_line') }},
            products.name,
            prices.product_id
        ) as product_line,
        upper(prices.currency) as currency,
        prices.recurring_interval,
        prices.recurring_interval_count,
        {{ stripe_major_units('prices.unit_amount', 'prices.currency') }} as unit_price
    from prices
    left join products on prices.product_id = products.id

),

final as (

    select
        price_id,
        plan_id,
        plan_name,
        product_line,
        currency,
        recurring_interval,
        unit_price,
        {{ charges_per_month }} as charges_per_month,
        unit_price * {{ charges_per_month }} as monthly_unit_price,
        case
            when recurring_interval = 'year' and coalesce(recurring_interval_count, 1) = 1
                then 'year'
            else 'month'
        end as billing_interval
    from prices_with_products

)

select * from final
