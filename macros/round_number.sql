{#- expression rounded to `places` decimal places, as a number. PostgreSQL rounds to places
    only a numeric (round(double precision, integer) does not exist): it casts first. -#}
{% macro round_number(expression, places) -%}
    {{ return(adapter.dispatch('round_number', 'nyckeltal')(expression, places)) }}
{%- endmacro %}

{% macro default__round_number(expression, places) -%}
    round({{ expression }}, {{ places }})
{%- endmacro %}

{% macro postgres__round_number(expression, places) -%}
    round(cast({{ expression }} as numeric), {{ places }})
{%- endmacro %}
