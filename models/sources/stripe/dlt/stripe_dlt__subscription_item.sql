select
    id,
    parent_id as subscription_id,
    price__id as plan_id,
    quantity
from {{ stripe_dlt_child('subscriptions__items__data', 'subscriptions', {
    'id': 'varchar', 'price__id': 'varchar', 'quantity': 'bigint'
}) }} as items
