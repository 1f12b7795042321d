{#- The coupons of the subscriptions' expanded discounts, one row per coupon. #}
select distinct
    coupon__id as id,
    coupon__duration as duration,
    coupon__percent_off as percent_off,
    coupon__amount_off as amount_off,
    coupon__currency as currency
from {{ stripe_dlt_source('subscriptions__discounts', {
    'coupon__id': 'varchar',
    'coupon__duration': 'varchar',
    'coupon__percent_off': 'double',
    'coupon__amount_off': 'bigint',
    'coupon__currency': 'varchar',
}) }} as landed_discounts
