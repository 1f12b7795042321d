with source as (

    select * from {{ source('hr', 'payroll') }}

)

select
    {{ cast_source_columns('hr', 'payroll', upper=['currency']) }}
from source
