{#- The landed HubSpot table `table_name` in Fivetran's layout, which the mapping models of
    models/sources/hubspot/fivetran read: with NYCKELTAL_CRM_SOURCE=hubspot:fivetran its
    source(); with hubspot:dlt the ephemeral model hubspot_dlt__<table_name> presenting dlt's
    tables in that layout (models/sources/hubspot/dlt). Another layout slots in here with
    ephemeral models presenting its tables in Fivetran's layout, as macros/stripe_landed.sql
    does for stripe:dlt. -#}
{% macro hubspot_landed(table_name) -%}
    {%- if var('crm_source', 'files') == 'hubspot:dlt' -%}
        {{ ref('hubspot_dlt__' ~ table_name) }}
    {%- else -%}
        {{ source('hubspot', table_name) }}
    {%- endif -%}
{%- endmacro %}
