{#- A subscription's current items. Airbyte lands the items each time their subscription
    changes, stamped with its `updated` (subscription_updated), and never removes an item a
    change dropped (a plan swapped): the current ones carry the subscription's latest stamp. #}
with items as (

    select
        id,
        subscription,
        price,
        quantity,
        subscription_updated
    from {{ airbyte_source('stripe_airbyte', 'subscription_items', {
        'id': 'varchar',
        'subscription': 'varchar',
        'price': 'varchar',
        'quantity': 'bigint',
        'subscription_updated': 'bigint',
    }) }} as landed_items

),

latest_stamps as (

    select
        subscription,
        max(subscription_updated) as subscription_updated
    from items
    group by subscription

)

select
    items.id,
    items.subscription as subscription_id,
    {{ json_text('items.price', 'id') }} as plan_id,
    items.quantity
from items
inner join latest_stamps
    on
        items.subscription = latest_stamps.subscription
        and coalesce(items.subscription_updated, -1)
        = coalesce(latest_stamps.subscription_updated, -1)
