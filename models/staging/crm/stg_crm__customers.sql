with source as (

    select * from {{ source('crm', 'customers') }}

)

select
    {{ cast_source_columns('crm', 'customers') }}
from source
