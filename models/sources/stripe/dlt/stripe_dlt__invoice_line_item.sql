select
    id,
    parent_id as invoice_id,
    price__id as price_id,
    plan__id as plan_id,
    amount
from {{ stripe_dlt_child('invoices__lines__data', 'invoices', {
    'id': 'varchar', 'price__id': 'varchar', 'plan__id': 'varchar', 'amount': 'bigint'
}) }} as lines
