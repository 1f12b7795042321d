{{ hubspot_airbyte_object('companies', {
    'name': 'varchar',
    'createdate': 'timestamp',
    'country': 'varchar',
    'numberofemployees': 'bigint',
    'hs_analytics_source': 'varchar',
    'hs_lifecyclestage_customer_date': 'timestamp',
}, [
    'customer_id', 'segment', 'region', 'country_code', 'acquisition_channel',
    'acquisition_campaign_id',
], 'is_deleted') }}
