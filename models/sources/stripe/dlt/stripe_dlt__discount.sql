{#- A subscription's discounts, expanded (`expand[]=data.discounts`): each with its coupon. #}
with subscriptions as (

    select
        id,
        _dlt_id
    from {{ stripe_dlt_source('subscriptions', {'id': 'varchar', '_dlt_id': 'varchar'}) }}
        as landed_subscriptions

),

discounts as (

    select
        id,
        coupon__id,
        _dlt_parent_id
    from {{ stripe_dlt_source('subscriptions__discounts', {
        'id': 'varchar', 'coupon__id': 'varchar', '_dlt_parent_id': 'varchar'
    }) }} as landed_discounts

)

select
    discounts.id,
    subscriptions.id as subscription_id,
    discounts.coupon__id as coupon_id
from discounts
inner join subscriptions on discounts._dlt_parent_id = subscriptions._dlt_id
