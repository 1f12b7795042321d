{#- A subscription's discount (Stripe API 2022-11-15, which Airbyte's source requests: one
    `discount` object per subscription, its coupon embedded). #}
select
    id as subscription_id,
    {{ json_text('discount', 'id') }} as id,
    {{ json_text(json_text('discount', 'coupon'), 'id') }} as coupon_id
from {{ airbyte_source('stripe_airbyte', 'subscriptions', {
    'id': 'varchar', 'discount': 'varchar'
}) }} as subscriptions
where discount is not null
