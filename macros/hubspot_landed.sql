{#- The landed HubSpot table `table_name` in Fivetran's layout, which the mapping models of
    models/sources/hubspot/fivetran read: with NYCKELTAL_CRM_SOURCE=hubspot:fivetran its
    source(). Another layout slots in here with ephemeral models presenting its tables in
    Fivetran's layout, as macros/stripe_landed.sql does for stripe:dlt: with hubspot:airbyte
    the model hubspot_airbyte__<table_name> (models/sources/hubspot/airbyte). -#}
{% macro hubspot_landed(table_name) -%}
    {%- if var('crm_source', 'files') == 'hubspot:airbyte' -%}
        {{ ref('hubspot_airbyte__' ~ table_name) }}
    {%- else -%}
        {{ source('hubspot', table_name) }}
    {%- endif -%}
{%- endmacro %}
