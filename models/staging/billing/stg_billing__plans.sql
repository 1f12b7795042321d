with source as (

    select * from {{ source('billing', 'plans') }}

)

select
    {{ cast_source_columns('billing', 'plans', upper=['currency']) }}
from source
