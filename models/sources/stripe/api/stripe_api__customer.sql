select
    id,
    metadata
from {{ stripe_api_source('customers', {'id': 'varchar', 'metadata': 'varchar'}) }} as customers
