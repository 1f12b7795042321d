{#- One row per stage of a deal pipeline (the array `stages`): a stage no longer `active` is
    deleted; metadata.isClosed ('true'/'false') and metadata.probability ('1.0') are text. #}
with pipelines as (

    select stages
    from {{ airbyte_source('hubspot_airbyte', 'deal_pipelines', {
        'pipelineId': 'varchar', 'stages': 'varchar'
    }, key=['pipelineId'], cursor='updatedAt') }} as landed_pipelines
    where stages is not null

),

stages as (

    select {{ json_array_texts('stages') }} as stage_object
    from pipelines

),

stages_with_metadata as (

    select
        {{ json_text('stage_object', 'stageId') }} as stage_id,
        {{ json_text('stage_object', 'active') }} as active,
        {{ json_text('stage_object', 'metadata') }} as metadata
    from stages

)

select
    stage_id,
    coalesce(lower(active) = 'false', false) as _fivetran_deleted,
    coalesce(lower({{ json_text('metadata', 'isClosed') }}) = 'true', false) as is_closed,
    cast({{ json_text('metadata', 'probability') }} as {{ type_double() }}) as probability
from stages_with_metadata
