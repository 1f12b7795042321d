{#- A Stripe list as the layout's tool landed it, as a subquery of `columns` (name -> contract
    type): with stripe:dlt macro stripe_dlt_source, with stripe:airbyte macro airbyte_source
    (its latest version of each object). dlt and Airbyte land Stripe's API objects under the
    same table and field names (models/sources/stripe/api). -#}
{% macro stripe_api_source(table_name, columns) -%}
    {%- if var('billing_source', 'files') == 'stripe:airbyte' -%}
        {{ return(airbyte_source('stripe_airbyte', table_name, columns)) }}
    {%- endif -%}
    {{ return(stripe_dlt_source(table_name, columns)) }}
{%- endmacro %}
