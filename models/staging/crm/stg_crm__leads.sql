with source as (

    select * from {{ source('crm', 'leads') }}

)

select
    {{ cast_source_columns('crm', 'leads') }}
from source
