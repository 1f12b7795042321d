{{ config(materialized='ephemeral') }}
{%- set metadata_key = var('stripe_customer_id_metadata_key', '') %}

with customers as (

    select
        id,
        metadata
    from {{ stripe_landed('customer') }}

),

final as (

    select
        id as stripe_customer_id,
        {% if metadata_key -%}
            coalesce({{ json_text('metadata', metadata_key) }}, id)
        {%- else -%}
            id
        {%- endif %} as customer_id
    from customers

)

select
    stripe_customer_id,
    customer_id
from final
