select
    id,
    metadata
from {{ stripe_dlt_source('customers', {'id': 'varchar', 'metadata': 'varchar'}) }} as customers
