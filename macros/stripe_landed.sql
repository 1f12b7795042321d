{#- The landed Stripe table `table_name` in Fivetran's layout, which the mapping models of
    models/sources/stripe/fivetran read: with NYCKELTAL_BILLING_SOURCE=stripe:fivetran its
    source(); with stripe:dlt or stripe:airbyte the ephemeral model that presents the
    tool's tables in that layout: stripe_api__<table_name> for the objects both tools land
    alike (models/sources/stripe/api), else stripe_dlt__<table_name> or
    stripe_airbyte__<table_name> (models/sources/stripe/dlt, .../airbyte). One mapping,
    every layout. -#}
{% macro stripe_landed(table_name) -%}
    {%- set tool = {'stripe:dlt': 'dlt', 'stripe:airbyte': 'airbyte'}.get(
        var('billing_source', 'files')
    ) -%}
    {%- if tool and table_name in [
        'customer', 'product', 'price', 'subscription_history', 'invoice', 'credit_note'
    ] -%}
        {{ ref('stripe_api__' ~ table_name) }}
    {%- elif tool -%}
        {{ ref('stripe_' ~ tool ~ '__' ~ table_name) }}
    {%- else -%}
        {{ source('stripe', table_name) }}
    {%- endif -%}
{%- endmacro %}
