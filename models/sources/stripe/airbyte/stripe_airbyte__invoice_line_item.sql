{#- A line's id is unique within its invoice (the stream's key is the line id; older Stripe
    API versions repeat a subscription line's id on every invoice). #}
select
    id,
    invoice_id,
    {{ json_text('price', 'id') }} as price_id,
    {{ json_text('plan', 'id') }} as plan_id,
    amount
from {{ airbyte_source('stripe_airbyte', 'invoice_line_items', {
    'id': 'varchar',
    'invoice_id': 'varchar',
    'price': 'varchar',
    'plan': 'varchar',
    'amount': 'bigint',
}, key=['invoice_id', 'id']) }} as landed_lines
