{#- is_deleted: Airbyte's mark of Stripe's invoice.deleted event (a deleted draft); dlt lands
    no such column (Stripe's API lists no deleted invoice): false. #}
select
    id,
    customer as customer_id,
    subscription as subscription_id,
    {{ stripe_unix_timestamp('created') }} as created,
    currency,
    status,
    total,
    tax,
    coalesce(is_deleted, false) as is_deleted,
    livemode
from {{ stripe_api_source('invoices', {
    'id': 'varchar',
    'customer': 'varchar',
    'subscription': 'varchar',
    'created': 'bigint',
    'currency': 'varchar',
    'status': 'varchar',
    'total': 'bigint',
    'tax': 'bigint',
    'is_deleted': 'boolean',
    'livemode': 'boolean',
}) }} as invoices
