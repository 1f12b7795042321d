{#- dlt merges each subscription on its id: one row, the current state (always active). #}
select
    id,
    customer as customer_id,
    status,
    {{ stripe_unix_timestamp('start_date') }} as start_date,
    {{ stripe_unix_timestamp('ended_at') }} as ended_at,
    {{ stripe_unix_timestamp('canceled_at') }} as canceled_at,
    livemode,
    true as _fivetran_active
from {{ stripe_dlt_source('subscriptions', {
    'id': 'varchar',
    'customer': 'varchar',
    'status': 'varchar',
    'start_date': 'bigint',
    'ended_at': 'bigint',
    'canceled_at': 'bigint',
    'livemode': 'boolean',
}) }} as subscriptions
