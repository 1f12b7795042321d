{#- Join condition: the `keys` columns of `left` and `right` are equal (by default the key
    of a KPI series row: period_start, segment_type, segment_value). -#}
{% macro keys_equal(left, right, keys=['period_start', 'segment_type', 'segment_value']) -%}
    {%- for key in keys -%}
        {{ '\n            and ' if not loop.first }}{{ left }}.{{ key }} = {{ right }}.{{ key }}
    {%- endfor -%}
{%- endmacro %}
