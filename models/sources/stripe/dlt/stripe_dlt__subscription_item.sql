with subscriptions as (

    select
        id,
        _dlt_id
    from {{ stripe_dlt_source('subscriptions', {'id': 'varchar', '_dlt_id': 'varchar'}) }}
        as landed_subscriptions

),

items as (

    select
        id,
        price__id,
        quantity,
        _dlt_parent_id
    from {{ stripe_dlt_source('subscriptions__items__data', {
        'id': 'varchar',
        'price__id': 'varchar',
        'quantity': 'bigint',
        '_dlt_parent_id': 'varchar',
    }) }} as landed_items

)

select
    items.id,
    subscriptions.id as subscription_id,
    items.price__id as plan_id,
    items.quantity
from items
inner join subscriptions on items._dlt_parent_id = subscriptions._dlt_id
