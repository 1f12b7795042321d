{#- The value (text) of the GA4 event parameter `key` in `params`, a list of {key, value}
    (event_params with each value's string, int, float or double value as text); null when
    the event has no such parameter (the first one when it has several). DuckDB. -#}
{% macro ga4_param(params, key) -%}
    struct_extract(
        list_filter({{ params }}, lambda param: struct_extract(param, 'key') = '{{ key }}')[1], 'value'
    )
{%- endmacro %}
