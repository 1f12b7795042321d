{% macro first_value_by(value_column, order_columns) -%}
    {{ return(adapter.dispatch('first_value_by', 'nyckeltal')(value_column, order_columns)) }}
{%- endmacro %}

{% macro default__first_value_by(value_column, order_columns) -%}
    {#- Aggregate: value_column of the row that sorts first by order_columns (ascending; the
        columns together must be unique in the group). PostgreSQL: the first array element. -#}
    (array_agg({{ value_column }} order by {{ order_columns | join(', ') }}))[1]
{%- endmacro %}

{% macro duckdb__first_value_by(value_column, order_columns) -%}
    {{ nyckeltal.min_by_key('arg_min', 'row', value_column, order_columns) }}
{%- endmacro %}

{% macro spark__first_value_by(value_column, order_columns) -%}
    {{ nyckeltal.min_by_key('min_by', 'struct', value_column, order_columns) }}
{%- endmacro %}

{#- `function(value_column, key)` (DuckDB's arg_min, Spark's min_by): the key is the one order
    column, or a `composite(...)` of several (DuckDB's row, Spark's struct). -#}
{% macro min_by_key(function, composite, value_column, order_columns) -%}
    {%- if order_columns | length == 1 -%}
        {{ function }}({{ value_column }}, {{ order_columns[0] }})
    {%- else -%}
        {{ function }}({{ value_column }}, {{ composite }}({{ order_columns | join(', ') }}))
    {%- endif -%}
{%- endmacro %}
