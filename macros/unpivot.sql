{#- One select of `relation` per row of `rows`, stacked with union all (macros/_macros.yml):
    the `keep` columns as they are, then row[i] as columns[i]. -#}
{% macro unpivot(relation, columns, rows, keep) -%}
    {%- for row in rows %}
        select
            {%- for column in keep %}
                {{ column }},
            {%- endfor %}
            {%- for expression in row %}
                {{ expression }} as {{ columns[loop.index0] }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ relation }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
{%- endmacro %}
