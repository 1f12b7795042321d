{#- `union all` of one select per branch over the same `columns` (see macros/_macros.yml).
    A branch is a dict: `from` (relation, with joins if any), optional `where`, and for any
    column an SQL expression replacing the column of the same name. -#}
{% macro union_all_branches(columns, branches) -%}
    {%- for branch in branches %}
        select
            {%- for column in columns %}
                {{ branch.get(column, column) }} as {{ column }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ branch['from'] }}
        {%- if branch.get('where') %}
            where {{ branch['where'] }}
        {%- endif %}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
{%- endmacro %}
