{#- The columns of the current model's YAML, in their declared order, comma-separated: a model
    with an enforced contract selects exactly them without writing the list a second time. -#}
{% macro yaml_columns() -%}
    {{ return(model.columns.keys() | join(', ')) }}
{%- endmacro %}
