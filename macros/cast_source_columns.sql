{#- The renamed/cast column list of a staging model, read from its source's YAML: one
    `cast(<column> as <type>) as <column>` per declared column, in the declared order. Each
    `data_type` is the contract's DuckDB spelling, rendered portably here. -#}
{% macro cast_source_columns(source_name, table_name, upper=[]) -%}
    {%- set columns = [] -%}
    {%- if execute -%}
        {%- set node = graph.sources['source.nyckeltal.' ~ source_name ~ '.' ~ table_name] -%}
        {%- set columns = node.columns.values() | list -%}
    {%- endif -%}
    {%- for column in columns -%}
        {%- set cast -%}
            cast({{ column.name }} as {{ nyckeltal.portable_type(column.data_type) }})
        {%- endset -%}
        {{ 'upper(' ~ cast ~ ')' if column.name in upper else cast }} as {{ column.name }}
        {{- ',\n    ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
