{#- Fivetran's `company` from dlt's companies: HubSpot's archived as is_deleted, the
    properties (text from the API) typed as Fivetran lands them. #}
select
    id,
    coalesce(archived, false) as is_deleted,
    properties__name as property_name,
    properties__country as property_country,
    {{ dbt.safe_cast('properties__numberofemployees', type_double()) }}
        as property_numberofemployees,
    properties__hs_analytics_source as property_hs_analytics_source,
    {{ hubspot_dlt_timestamp('properties__hs_lifecyclestage_customer_date') }}
        as property_hs_lifecyclestage_customer_date
    {{- hubspot_dlt_custom_properties([
        'property_name',
        'property_country',
        'property_numberofemployees',
        'property_hs_analytics_source',
        'property_hs_lifecyclestage_customer_date',
    ]) }}
from {{ hubspot_dlt_source('companies', {
    'id': 'varchar',
    'archived': 'boolean',
    'properties__name': 'varchar',
    'properties__country': 'varchar',
    'properties__numberofemployees': 'varchar',
    'properties__hs_analytics_source': 'varchar',
    'properties__hs_lifecyclestage_customer_date': 'varchar',
}, properties=true) }} as companies
