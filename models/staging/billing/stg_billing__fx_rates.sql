with source as (

    select * from {{ source('billing', 'fx_rates') }}

)

select
    {{ cast_source_columns('billing', 'fx_rates', upper=['currency']) }}
from source
