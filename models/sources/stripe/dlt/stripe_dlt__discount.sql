{#- A subscription's discounts, expanded (`expand[]=data.discounts`): each with its coupon. #}
select
    id,
    parent_id as subscription_id,
    coupon__id as coupon_id
from {{ stripe_dlt_child('subscriptions__discounts', 'subscriptions', {
    'id': 'varchar', 'coupon__id': 'varchar'
}) }} as discounts
