{#- The text value of the top-level `key` of the JSON object held (as text) in `column`, or
    null when the key is absent: Stripe's `metadata` as Fivetran lands it. Dispatched: each
    engine has its own JSON function. -#}
{% macro json_text(column, key) -%}
    {{ return(adapter.dispatch('json_text', 'nyckeltal')(column, key)) }}
{%- endmacro %}

{% macro default__json_text(column, key) -%}
    json_extract_string({{ column }}, '$.{{ key }}')
{%- endmacro %}

{% macro postgres__json_text(column, key) -%}
    (cast({{ column }} as json) ->> '{{ key }}')
{%- endmacro %}

{% macro spark__json_text(column, key) -%}
    get_json_object({{ column }}, '$.{{ key }}')
{%- endmacro %}
