{#- `recurring` is flattened by dlt (recurring__interval) and JSON with Airbyte, read as
    recurring__interval too (macro airbyte_source); unit_amount is a number with Airbyte. #}
select
    id,
    lookup_key,
    nickname,
    product as product_id,
    currency,
    unit_amount,
    recurring__interval as recurring_interval,
    recurring__interval_count as recurring_interval_count,
    livemode
from {{ stripe_api_source('prices', {
    'id': 'varchar',
    'lookup_key': 'varchar',
    'nickname': 'varchar',
    'product': 'varchar',
    'currency': 'varchar',
    'unit_amount': 'bigint',
    'recurring__interval': 'varchar',
    'recurring__interval_count': 'bigint',
    'livemode': 'boolean',
}) }} as prices
