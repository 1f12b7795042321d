{#- Stripe's API lists no deleted invoice: is_deleted is always false. #}
select
    id,
    customer as customer_id,
    subscription as subscription_id,
    {{ stripe_unix_timestamp('created') }} as created,
    currency,
    status,
    total,
    tax,
    false as is_deleted,
    livemode
from {{ stripe_dlt_source('invoices', {
    'id': 'varchar',
    'customer': 'varchar',
    'subscription': 'varchar',
    'created': 'bigint',
    'currency': 'varchar',
    'status': 'varchar',
    'total': 'bigint',
    'tax': 'bigint',
    'livemode': 'boolean',
}) }} as invoices
