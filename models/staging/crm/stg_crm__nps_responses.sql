with source as (

    select * from {{ source('crm', 'nps_responses') }}

)

select
    {{ cast_source_columns('crm', 'nps_responses') }}
from source
