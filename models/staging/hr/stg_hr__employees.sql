with source as (

    select * from {{ source('hr', 'employees') }}

)

select
    {{ cast_source_columns('hr', 'employees') }}
from source
