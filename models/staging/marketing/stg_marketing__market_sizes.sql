with source as (

    select * from {{ source('marketing', 'market_sizes') }}

)

select
    {{ cast_source_columns('marketing', 'market_sizes', upper=['currency']) }}
from source
