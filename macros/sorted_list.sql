{#- The values of `column` in the group, sorted and joined with ', ' into one string.
    Spark's listagg ignores an order (and warns): it sorts the collected array instead. -#}
{% macro sorted_list(column) -%}
    {{ return(adapter.dispatch('sorted_list', 'nyckeltal')(column)) }}
{%- endmacro %}

{% macro default__sorted_list(column) -%}
    {{ dbt.listagg(column, "', '", 'order by ' ~ column) }}
{%- endmacro %}

{% macro spark__sorted_list(column) -%}
    array_join(array_sort(collect_list({{ column }})), ', ')
{%- endmacro %}
