with source as (

    select * from {{ source('marketing', 'campaigns') }}

)

select
    {{ cast_source_columns('marketing', 'campaigns') }}
from source
