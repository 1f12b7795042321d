{#- expression rounded to `places` (> 0) decimal places, as text the way DuckDB prints the
    rounded double: no trailing zeros, at least one decimal ('2.0', '1234567.89').
    PostgreSQL prints a double without '.0' and Spark in scientific notation from 1e7 on: there
    the rounded decimal is printed and its trailing zeros dropped. -#}
{% macro rounded_text(expression, places) -%}
    {{ return(adapter.dispatch('rounded_text', 'nyckeltal')(expression, places)) }}
{%- endmacro %}

{% macro default__rounded_text(expression, places) -%}
    cast({{ nyckeltal.round_number(expression, places) }} as {{ dbt.type_string() }})
{%- endmacro %}

{% macro postgres__rounded_text(expression, places) -%}
    {{ nyckeltal.without_trailing_zeros(
        'cast(' ~ nyckeltal.round_number(expression, places) ~ ' as ' ~ dbt.type_string() ~ ')'
    ) }}
{%- endmacro %}

{% macro spark__rounded_text(expression, places) -%}
    {{ nyckeltal.without_trailing_zeros(
        'cast(cast(round(' ~ expression ~ ', ' ~ places ~ ') as decimal(38, ' ~ places ~ '))'
        ~ ' as ' ~ dbt.type_string() ~ ')'
    ) }}
{%- endmacro %}

{#- A decimal's text ('12.50', '3.00') without its trailing zeros, keeping one decimal. -#}
{% macro without_trailing_zeros(decimal_text) -%}
    regexp_replace(regexp_replace({{ decimal_text }}, '0+$', ''), '[.]$', '.0')
{%- endmacro %}
