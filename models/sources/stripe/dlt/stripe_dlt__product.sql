select
    id,
    name,
    metadata
from {{ stripe_dlt_source(
    'products', {'id': 'varchar', 'name': 'varchar', 'metadata': 'varchar'}
) }} as products
