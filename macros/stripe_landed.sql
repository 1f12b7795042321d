{#- The landed Stripe table `table_name` in Fivetran's layout, which the mapping models of
    models/sources/stripe/fivetran read: with NYCKELTAL_BILLING_SOURCE=stripe:fivetran its
    source(); with stripe:dlt the ephemeral model stripe_dlt__<table_name> that presents
    dlt's tables in that layout (models/sources/stripe/dlt). One mapping, two layouts. -#}
{% macro stripe_landed(table_name) -%}
    {%- if var('billing_source', 'files') == 'stripe:dlt' -%}
        {{ ref('stripe_dlt__' ~ table_name) }}
    {%- else -%}
        {{ source('stripe', table_name) }}
    {%- endif -%}
{%- endmacro %}
