{#- A HubSpot datetime property as the API gives it (ISO 8601 text in UTC,
    `2024-01-04T10:00:00.000Z`; empty or null when unset) as a UTC timestamp. -#}
{% macro hubspot_dlt_timestamp(column) -%}
    cast(nullif({{ column }}, '') as {{ dbt.type_timestamp() }})
{%- endmacro %}
