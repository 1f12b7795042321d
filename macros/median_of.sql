{% macro median_of(expression) -%}
    {#- The median of expression, as an aggregate. Dispatched: median() on DuckDB,
        percentile(x, 0.5) on Spark, the ordered-set percentile_cont elsewhere. -#}
    {{ return(adapter.dispatch('median_of', 'nyckeltal')(expression)) }}
{%- endmacro %}

{% macro default__median_of(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__median_of(expression) -%}
    median({{ expression }})
{%- endmacro %}

{% macro spark__median_of(expression) -%}
    percentile({{ expression }}, 0.5)
{%- endmacro %}
