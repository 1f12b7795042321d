{#- Fivetran's `deal_pipeline_stage` from the stages of the deal pipelines
    (deal_pipelines__stages, child of deal_pipelines): a stage of an archived pipeline counts
    as deleted; isClosed and probability (text in the stage's metadata) typed. #}
select
    pipeline_stages.id as stage_id,
    coalesce(pipeline_stages.archived, false)
    or coalesce(deal_pipelines.archived, false) as _fivetran_deleted,
    coalesce(lower(pipeline_stages.metadata__is_closed) = 'true', false) as is_closed,
    {{ dbt.safe_cast('pipeline_stages.metadata__probability', type_double()) }} as probability
from {{ hubspot_dlt_source('deal_pipelines__stages', {
    'id': 'varchar',
    'archived': 'boolean',
    'metadata__is_closed': 'varchar',
    'metadata__probability': 'varchar',
    '_dlt_parent_id': 'varchar',
}) }} as pipeline_stages
inner join {{ hubspot_dlt_source('deal_pipelines', {'_dlt_id': 'varchar', 'archived': 'boolean'}) }}
    as deal_pipelines
    on pipeline_stages._dlt_parent_id = deal_pipelines._dlt_id
