{#- Fivetran's `deal` from dlt's deals (empty when absent): the stage is dealstage. #}
select
    id as deal_id,
    coalesce(archived, false) as is_deleted,
    properties__dealstage as deal_pipeline_stage_id,
    {{ hubspot_dlt_timestamp('properties__closedate') }} as property_closedate
from {{ hubspot_dlt_source('deals', {
    'id': 'varchar',
    'archived': 'boolean',
    'properties__dealstage': 'varchar',
    'properties__closedate': 'varchar',
}) }} as deals
