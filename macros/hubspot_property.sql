{#- The contract column `column` from the HubSpot property NYCKELTAL_HUBSPOT_PROPERTIES names
    for it (the var `hubspot_properties`, {column: property}): the landed column
    `property_<name>` as text (nyckeltal.vendors has checked that it exists); else the
    expression `default` (none: null). -#}
{% macro hubspot_property(column, default=none) -%}
    {%- set name = var('hubspot_properties', {}).get(column) -%}
    {%- if name -%}
        cast(property_{{ name }} as {{ dbt.type_string() }})
    {%- elif default -%}
        {{ default }}
    {%- else -%}
        cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}
