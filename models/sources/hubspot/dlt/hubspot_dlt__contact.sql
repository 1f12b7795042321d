{#- Fivetran's `contact` from dlt's contacts: HubSpot's archived as _fivetran_deleted, the
    lifecycle-stage dates (ISO text from the API) as timestamps. #}
{%- set stages = [
    'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer',
] -%}
{%- set columns = {
    'id': 'varchar',
    'archived': 'boolean',
    'properties__associatedcompanyid': 'varchar',
    'properties__hs_analytics_source': 'varchar',
} -%}
{%- for stage in stages -%}
    {%- do columns.update({'properties__hs_lifecyclestage_' ~ stage ~ '_date': 'varchar'}) -%}
{%- endfor %}
select
    id,
    coalesce(archived, false) as _fivetran_deleted,
    properties__associatedcompanyid as property_associatedcompanyid,
    properties__hs_analytics_source as property_hs_analytics_source,
    {{ hubspot_dlt_timestamp('properties__hs_lifecyclestage_lead_date') }}
        as property_hs_lifecyclestage_lead_date,
    {{ hubspot_dlt_timestamp('properties__hs_lifecyclestage_marketingqualifiedlead_date') }}
        as property_hs_lifecyclestage_marketingqualifiedlead_date,
    {{ hubspot_dlt_timestamp('properties__hs_lifecyclestage_salesqualifiedlead_date') }}
        as property_hs_lifecyclestage_salesqualifiedlead_date,
    {{ hubspot_dlt_timestamp('properties__hs_lifecyclestage_opportunity_date') }}
        as property_hs_lifecyclestage_opportunity_date,
    {{ hubspot_dlt_timestamp('properties__hs_lifecyclestage_customer_date') }}
        as property_hs_lifecyclestage_customer_date
    {{- hubspot_dlt_custom_properties([
        'property_associatedcompanyid',
        'property_hs_analytics_source',
        'property_hs_lifecyclestage_lead_date',
        'property_hs_lifecyclestage_marketingqualifiedlead_date',
        'property_hs_lifecyclestage_salesqualifiedlead_date',
        'property_hs_lifecyclestage_opportunity_date',
        'property_hs_lifecyclestage_customer_date',
    ]) }}
from {{ hubspot_dlt_source('contacts', columns, properties=true) }} as contacts
