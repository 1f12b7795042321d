select
    id,
    name,
    metadata
from {{ stripe_api_source(
    'products', {'id': 'varchar', 'name': 'varchar', 'metadata': 'varchar'}
) }} as products
