{#- A landed Stripe table that may be absent (`discount`, `coupon`): its source() when the
    table exists, else an empty relation of `columns` (name -> contract type), so that the
    model reading it yields no rows. With stripe:dlt or stripe:airbyte, the model of the
    layout (macros/stripe_landed.sql), which is never absent. -#}
{% macro stripe_optional_source(table_name, columns) -%}
    {%- if var('billing_source', 'files') in ('stripe:dlt', 'stripe:airbyte') -%}
        {{ return(stripe_landed(table_name)) }}
    {%- endif -%}
    {%- set relation = source('stripe', table_name) -%}
    {%- if execute and adapter.get_relation(
        relation.database, relation.schema, relation.identifier
    ) -%}
        {{ relation }}
    {%- else -%}
        {{ nyckeltal.typed_empty_relation(columns) }}
    {%- endif -%}
{%- endmacro %}
