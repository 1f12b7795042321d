with source as (

    select * from {{ source('billing', 'invoices') }}

)

select
    {{ cast_source_columns('billing', 'invoices', upper=['currency']) }},
    cast(issued_at as date) as issued_on
from source
