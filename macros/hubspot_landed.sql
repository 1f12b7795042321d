{#- The landed HubSpot table `table_name` in Fivetran's layout, which the mapping models of
    models/sources/hubspot/fivetran read: with NYCKELTAL_CRM_SOURCE=hubspot:fivetran its
    source(); with hubspot:dlt the ephemeral model hubspot_dlt__<table_name> presenting dlt's
    tables in that layout (models/sources/hubspot/dlt); with hubspot:airbyte the model
    hubspot_airbyte__<table_name> (models/sources/hubspot/airbyte). Another layout slots in
    here the same way. -#}
{% macro hubspot_landed(table_name) -%}
    {%- if var('crm_source', 'files') == 'hubspot:dlt' -%}
        {{ ref('hubspot_dlt__' ~ table_name) }}
    {%- elif var('crm_source', 'files') == 'hubspot:airbyte' -%}
        {{ ref('hubspot_airbyte__' ~ table_name) }}
    {%- else -%}
        {{ source('hubspot', table_name) }}
    {%- endif -%}
{%- endmacro %}
