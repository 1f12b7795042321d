{#- The HubSpot properties NYCKELTAL_HUBSPOT_PROPERTIES (the var `hubspot_properties`,
    {column: property}) names for any of the contract `columns`, each once, except those in
    `standard` (already read): the custom property columns a layout's model must present. -#}
{% macro hubspot_property_names(columns, standard=[]) -%}
    {%- set names = [] -%}
    {%- for column, name in var('hubspot_properties', {}).items() -%}
        {%- if column in columns and name not in names and name not in standard -%}
            {%- do names.append(name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}
