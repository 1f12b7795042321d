with source as (

    select * from {{ source('hr', 'engagement_responses') }}

)

select
    {{ cast_source_columns('hr', 'engagement_responses') }}
from source
