{#- associatedcompanyid is a number property (Airbyte may land 101.0): read as an integer. #}
{{ hubspot_airbyte_object('contacts', {
    'createdate': 'timestamp',
    'associatedcompanyid': 'bigint',
    'hs_analytics_source': 'varchar',
    'hs_lifecyclestage_lead_date': 'timestamp',
    'hs_lifecyclestage_marketingqualifiedlead_date': 'timestamp',
    'hs_lifecyclestage_salesqualifiedlead_date': 'timestamp',
    'hs_lifecyclestage_opportunity_date': 'timestamp',
    'hs_lifecyclestage_customer_date': 'timestamp',
}, ['channel', 'campaign_id'], '_fivetran_deleted') }}
