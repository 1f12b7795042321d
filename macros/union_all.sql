{#- The same `columns` of every relation of `relations`, stacked with union all
    (macros/_macros.yml). -#}
{% macro union_all(relations, columns) -%}
    {%- for relation in relations %}
        select {{ columns | join(', ') }} from {{ relation }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
{%- endmacro %}
