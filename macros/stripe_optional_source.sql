{#- A landed Stripe table that may be absent (`discount`, `coupon`): its source() when the
    table exists, else an empty relation of `columns` (name -> contract type), so that the
    model reading it yields no rows. With stripe:dlt, the stripe_dlt__<table_name> model
    (macros/stripe_landed.sql), which is never absent. -#}
{% macro stripe_optional_source(table_name, columns) -%}
    {%- if var('billing_source', 'files') == 'stripe:dlt' -%}
        {{ return(stripe_landed(table_name)) }}
    {%- endif -%}
    {%- set relation = source('stripe', table_name) -%}
    {%- if execute and adapter.get_relation(
        relation.database, relation.schema, relation.identifier
    ) -%}
        {{ relation }}
    {%- else -%}
        (
            select
            {%- for name, data_type in columns.items() %}
                cast(null as {{ nyckeltal.portable_type(data_type) }}) as {{ name }}
                {{- ',' if not loop.last }}
            {%- endfor %}
            where 1 = 0
        )
    {%- endif -%}
{%- endmacro %}
