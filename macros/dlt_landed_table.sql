{#- A table dlt landed (`relation`, a source()), as a subquery of `columns` (dlt column name
    -> contract type): dlt creates a table only once it got a row, and a column only once it
    got a value, so an absent table is an empty subquery and an absent column a typed null. -#}
{% macro dlt_landed_table(relation, columns) -%}
    {%- set landed = adapter.get_relation(
        relation.database, relation.schema, relation.identifier
    ) if execute else none -%}
    {%- set present = adapter.get_columns_in_relation(landed) | map(attribute='name')
        | map('lower') | list if landed else [] -%}
    (
        select
        {%- for name, data_type in columns.items() %}
            {% if name in present -%}
                {{ adapter.quote(name) }}
            {%- else -%}
                cast(null as {{ nyckeltal.portable_type(data_type) }})
            {%- endif %} as {{ name }}
            {{- ',' if not loop.last }}
        {%- endfor %}
        {% if landed -%}
            from {{ relation }}
        {%- else -%}
            where 1 = 0
        {%- endif %}
    )
{%- endmacro %}
