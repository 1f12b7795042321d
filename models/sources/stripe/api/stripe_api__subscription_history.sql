{#- One row per subscription, its current state (dlt merges on the id; Airbyte's latest
    version): _fivetran_active always true. Airbyte sets is_deleted on Stripe's
    customer.subscription.deleted event, which is a subscription ending (status canceled,
    ended_at set), not a removal: the subscription is kept and ends as the mapping says. #}
select
    id,
    customer as customer_id,
    status,
    {{ stripe_unix_timestamp('start_date') }} as start_date,
    {{ stripe_unix_timestamp('ended_at') }} as ended_at,
    {{ stripe_unix_timestamp('canceled_at') }} as canceled_at,
    livemode,
    true as _fivetran_active
from {{ stripe_api_source('subscriptions', {
    'id': 'varchar',
    'customer': 'varchar',
    'status': 'varchar',
    'start_date': 'bigint',
    'ended_at': 'bigint',
    'canceled_at': 'bigint',
    'livemode': 'boolean',
}) }} as subscriptions
