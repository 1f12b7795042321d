{#- The values of `column` in the group joined with `delimiter` (a SQL string literal) into
    one string, in the order of `order_by` (default: the values themselves). Spark's listagg
    ignores an order (and warns): it sorts the collected array instead. -#}
{% macro sorted_list(column, order_by=none, delimiter="', '") -%}
    {{ return(adapter.dispatch('sorted_list', 'nyckeltal')(column, order_by, delimiter)) }}
{%- endmacro %}

{% macro default__sorted_list(column, order_by, delimiter) -%}
    {{ dbt.listagg(column, delimiter, 'order by ' ~ (order_by or column)) }}
{%- endmacro %}

{% macro spark__sorted_list(column, order_by, delimiter) -%}
    {%- if order_by is none -%}
        array_join(array_sort(collect_list({{ column }})), {{ delimiter }})
    {%- else -%}
        array_join(
            transform(
                array_sort(collect_list(named_struct('sort_key', {{ order_by }}, 'item', {{ column }}))),
                entry -> entry.item
            ),
            {{ delimiter }}
        )
    {%- endif -%}
{%- endmacro %}
