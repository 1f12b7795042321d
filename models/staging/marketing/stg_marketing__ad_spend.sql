with source as (

    select * from {{ source('marketing', 'ad_spend') }}

)

select
    {{ cast_source_columns('marketing', 'ad_spend', upper=['currency']) }}
from source
