{#- The coupons of the subscriptions' discounts, one row per coupon. #}
with coupons as (

    select {{ json_text('discount', 'coupon') }} as coupon
    from {{ airbyte_source('stripe_airbyte', 'subscriptions', {
        'id': 'varchar', 'discount': 'varchar'
    }) }} as subscriptions
    where discount is not null

)

select distinct
    {{ json_text('coupon', 'id') }} as id,
    {{ json_text('coupon', 'duration') }} as duration,
    cast({{ json_text('coupon', 'percent_off') }} as {{ type_double() }}) as percent_off,
    cast({{ json_text('coupon', 'amount_off') }} as {{ dbt.type_bigint() }}) as amount_off,
    {{ json_text('coupon', 'currency') }} as currency
from coupons
