{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'nyckeltal')()) }}
{%- endmacro %}

{#- An 8-byte float. Not dbt.type_float(): it renders `float`, a 4-byte REAL on DuckDB and
    Spark, which would lose digits of the KPI numbers. -#}
{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}

{% macro bigquery__type_double() -%}
    float64
{%- endmacro %}
