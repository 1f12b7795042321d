with source as (

    select * from {{ source('billing', 'subscriptions') }}

)

select
    {{ cast_source_columns('billing', 'subscriptions', upper=['currency']) }}
from source
