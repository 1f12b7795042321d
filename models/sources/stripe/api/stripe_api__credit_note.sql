{#- Airbyte's schema types discount_amount as a string: read as an integer. #}
select
    id,
    invoice as invoice_id,
    {{ stripe_unix_timestamp('created') }} as created,
    currency,
    subtotal,
    discount_amount,
    status,
    livemode
from {{ stripe_api_source('credit_notes', {
    'id': 'varchar',
    'invoice': 'varchar',
    'created': 'bigint',
    'currency': 'varchar',
    'subtotal': 'bigint',
    'discount_amount': 'bigint',
    'status': 'varchar',
    'livemode': 'boolean',
}) }} as credit_notes
