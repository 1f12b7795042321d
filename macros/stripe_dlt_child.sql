{#- A nested list dlt landed as a child table (`subscriptions__items__data` of
    `subscriptions`), as a subquery of its `columns` (stripe_dlt_source) and `parent_id`:
    the id of the Stripe object it belongs to (joined on dlt's _dlt_parent_id = _dlt_id). -#}
{% macro stripe_dlt_child(table_name, parent_name, columns) -%}
    {%- set child_columns = {} -%}
    {%- do child_columns.update(columns) -%}
    {%- do child_columns.update({'_dlt_parent_id': 'varchar'}) -%}
    (
        select
            {%- for name in columns if name != '_dlt_parent_id' %}
            children.{{ name }},
            {%- endfor %}
            parents.id as parent_id
        from {{ stripe_dlt_source(table_name, child_columns) }} as children
        inner join {{ stripe_dlt_source(parent_name, {'id': 'varchar', '_dlt_id': 'varchar'}) }}
            as parents
            on children._dlt_parent_id = parents._dlt_id
    )
{%- endmacro %}
