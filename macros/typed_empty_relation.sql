{#- An empty subquery of `columns` (name -> contract type, DuckDB spelling): how a landed
    table that is absent (an optional one) is read. -#}
{% macro typed_empty_relation(columns) -%}
    (
        select
        {%- for name, data_type in columns.items() %}
            cast(null as {{ nyckeltal.portable_type(data_type) }}) as {{ name }}
            {{- ',' if not loop.last }}
        {%- endfor %}
        where 1 = 0
    )
{%- endmacro %}
