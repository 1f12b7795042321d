with deals as (

    select
        id,
        archived,
        properties_dealstage,
        properties_closedate
    from {{ airbyte_source('hubspot_airbyte', 'deals', {
        'id': 'varchar',
        'archived': 'boolean',
        'properties_dealstage': 'varchar',
        'properties_closedate': 'timestamp',
    }, cursor='updatedAt') }} as landed_deals

),

archived as (

    select id
    from {{ airbyte_source(
        'hubspot_airbyte', 'deals_archived', {'id': 'varchar'}, cursor='updatedAt'
    ) }} as landed_archived

)

select
    deals.id as deal_id,
    coalesce(deals.archived, false) or archived.id is not null as is_deleted,
    deals.properties_dealstage as deal_pipeline_stage_id,
    deals.properties_closedate as property_closedate
from deals
left join archived on deals.id = archived.id
