with source as (

    select * from {{ source('marketing', 'web_events') }}

)

select
    {{ cast_source_columns('marketing', 'web_events') }}
from source
