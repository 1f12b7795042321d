{#- The landed HubSpot table `table_name` in Fivetran's layout, which the mapping models of
    models/sources/hubspot/fivetran read: with NYCKELTAL_CRM_SOURCE=hubspot:fivetran its
    source(). Another layout slots in here with ephemeral models presenting its tables in
    Fivetran's layout, as macros/stripe_landed.sql does for stripe:dlt. -#}
{% macro hubspot_landed(table_name) -%}
    {{ source('hubspot', table_name) }}
{%- endmacro %}
