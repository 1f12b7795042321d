{{ config(materialized='ephemeral') }}
-- depends_on: {{ stripe_landed('discount') }}
-- depends_on: {{ stripe_landed('coupon') }}
{#- Discounts are optional landed tables: without them, no rows (macro stripe_optional_source). #}

with discounts as (

    select
        subscription_id,
        coupon_id
    from {{ stripe_optional_source(
        'discount', {'subscription_id': 'varchar', 'coupon_id': 'varchar'}
    ) }} as landed_discounts
    where subscription_id is not null

),

coupons as (

    select
        id,
        percent_off,
        amount_off,
        currency
    from {{ stripe_optional_source('coupon', {
        'id': 'varchar',
        'percent_off': 'double',
        'amount_off': 'bigint',
        'currency': 'varchar',
        'duration': 'varchar',
    }) }} as landed_coupons
    where duration = 'forever'

),

final as (

    select
        discounts.subscription_id,
        cast(coalesce(sum(coupons.percent_off), 0) as decimal(38, 10)) as percent_off,
        coalesce(
            sum({{ stripe_major_units('coupons.amount_off', 'coupons.currency') }}), 0
        ) as amount_off
    from discounts
    inner join coupons on discounts.coupon_id = coupons.id
    group by discounts.subscription_id

)

select
    subscription_id,
    percent_off,
    amount_off
from final
