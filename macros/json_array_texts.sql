{#- A set-returning select-list expression: one row per element of the JSON array held in
    `column` (JSON or its text), each element as text (a string unquoted, an object its JSON
    text): Airbyte's association and stage arrays. Dispatched: each engine has its own. -#}
{% macro json_array_texts(column) -%}
    {{ return(adapter.dispatch('json_array_texts', 'nyckeltal')(column)) }}
{%- endmacro %}

{% macro default__json_array_texts(column) -%}
    unnest(json_extract_string({{ column }}, '$[*]'))
{%- endmacro %}

{% macro postgres__json_array_texts(column) -%}
    jsonb_array_elements_text(cast({{ column }} as jsonb))
{%- endmacro %}

{% macro spark__json_array_texts(column) -%}
    explode(from_json({{ column }}, 'array<string>'))
{%- endmacro %}
