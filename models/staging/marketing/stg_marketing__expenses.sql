with source as (

    select * from {{ source('marketing', 'expenses') }}

)

select
    {{ cast_source_columns('marketing', 'expenses', upper=['currency']) }}
from source
