{% macro first_value_by(value_column, order_columns) -%}
    {{ return(adapter.dispatch('first_value_by', 'nyckeltal')(value_column, order_columns)) }}
{%- endmacro %}

{% macro default__first_value_by(value_column, order_columns) -%}
    {#- Aggregate: value_column of the row that sorts first by order_columns (ascending; the
        columns together must be unique in the group). PostgreSQL: the first array element. -#}
    (array_agg({{ value_column }} order by {{ order_columns | join(', ') }}))[1]
{%- endmacro %}

{% macro duckdb__first_value_by(value_column, order_columns) -%}
    {%- if order_columns | length == 1 -%}
        arg_min({{ value_column }}, {{ order_columns[0] }})
    {%- else -%}
        arg_min({{ value_column }}, row({{ order_columns | join(', ') }}))
    {%- endif -%}
{%- endmacro %}

{% macro spark__first_value_by(value_column, order_columns) -%}
    {%- if order_columns | length == 1 -%}
        min_by({{ value_column }}, {{ order_columns[0] }})
    {%- else -%}
        min_by({{ value_column }}, struct({{ order_columns | join(', ') }}))
    {%- endif -%}
{%- endmacro %}
