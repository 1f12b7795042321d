{{ config(alias='subscriptions') }}

with subscriptions as (

    select
        id,
        customer_id,
        status,
        start_date,
        ended_at,
        canceled_at
    from {{ stripe_landed('subscription_history') }}
    where
        coalesce(_fivetran_active, true)
        and coalesce(livemode, true)
        and status not in ('incomplete', 'incomplete_expired')

),

items as (

    select
        id,
        subscription_id,
        plan_id as price_id,
        quantity
    from {{ stripe_landed('subscription_item') }}

),

prices as (

    select
        price_id,
        plan_id,
        currency,
        charges_per_month,
        monthly_unit_price
    from {{ ref('stripe_fivetran__prices') }}

),

discounts as (

    select
        subscription_id,
        percent_off,
        amount_off
    from {{ ref('stripe_fivetran__subscription_discounts') }}

),

customer_ids as (

    select
        stripe_customer_id,
        customer_id
    from {{ ref('stripe_fivetran__customer_ids') }}

),

items_priced as (

    select
        items.subscription_id,
        items.id as subscription_item_id,
        prices.plan_id,
        prices.currency,
        prices.charges_per_month,
        prices.monthly_unit_price * coalesce(items.quantity, 1) as item_mrr
    from items
    inner join prices on items.price_id = prices.price_id

),

items_ranked as (

    select
        subscription_id,
        plan_id,
        currency,
        charges_per_month,
        row_number() over (
            partition by subscription_id order by item_mrr desc, subscription_item_id asc
        ) as item_rank,
        sum(item_mrr) over (partition by subscription_id) as subscription_mrr
    from items_priced

),

final as (

    select
        subscriptions.id as subscription_id,
        coalesce(customer_ids.customer_id, subscriptions.customer_id) as customer_id,
        items_ranked.plan_id,
        cast(subscriptions.start_date as {{ dbt.type_timestamp() }}) as started_at,
        cast(
            coalesce(
                subscriptions.ended_at,
                case when subscriptions.status = 'canceled' then subscriptions.canceled_at end
            ) as {{ dbt.type_timestamp() }}
        ) as ended_at,
        cast(
            greatest(
                items_ranked.subscription_mrr * (1 - coalesce(discounts.percent_off, 0) / 100)
                - coalesce(discounts.amount_off, 0) * items_ranked.charges_per_month,
                0
            ) as decimal(18, 4)
        ) as mrr,
        items_ranked.currency,
        cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }}) as _loaded_at
    from subscriptions
    inner join items_ranked
        on subscriptions.id = items_ranked.subscription_id and items_ranked.item_rank = 1
    left join customer_ids on subscriptions.customer_id = customer_ids.stripe_customer_id
    left join discounts on subscriptions.id = discounts.subscription_id

)

select
    subscription_id,
    customer_id,
    plan_id,
    started_at,
    ended_at,
    mrr,
    currency,
    _loaded_at
from final
