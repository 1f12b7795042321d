{#- A table dlt landed from Stripe's API (source `stripe_dlt`), as a subquery of `columns`
    (dlt column name -> contract type; macro dlt_landed_table: an absent table is an empty
    subquery, an absent column a typed null). -#}
{% macro stripe_dlt_source(table_name, columns) -%}
    {{ dlt_landed_table(source('stripe_dlt', table_name), columns) }}
{%- endmacro %}
