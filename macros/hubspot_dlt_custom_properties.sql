{#- The select items `properties__<name> as property_<name>` (text, Fivetran's column name)
    of every property NYCKELTAL_HUBSPOT_PROPERTIES selects (the var `hubspot_properties`)
    but those in `presented` (standard properties the model presents already), each
    preceded by a comma. -#}
{% macro hubspot_dlt_custom_properties(presented) -%}
    {%- for name in var('hubspot_properties', {}).values() | unique
        if 'property_' ~ name not in presented %},
    properties__{{ name }} as property_{{ name }}
    {%- endfor -%}
{%- endmacro %}
