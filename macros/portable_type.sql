{#- A column type in the contract's DuckDB spelling (varchar, timestamp, integer, bigint,
    date, decimal(p,s)) as the current engine spells it, through dbt's type macros. -#}
{% macro portable_type(data_type) -%}
    {%- set spelling = (data_type or '') | trim | lower -%}
    {%- if spelling == 'varchar' -%} {{ dbt.type_string() }}
    {%- elif spelling == 'timestamp' -%} {{ dbt.type_timestamp() }}
    {%- elif spelling == 'integer' -%} {{ dbt.type_int() }}
    {%- elif spelling == 'bigint' -%} {{ dbt.type_bigint() }}
    {%- elif spelling == 'double' -%} {{ nyckeltal.type_double() }}
    {%- else -%} {{ spelling }}
    {%- endif -%}
{%- endmacro %}
