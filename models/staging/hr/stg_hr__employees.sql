with source as (

    select * from {{ source('hr', 'employees') }}

),

renamed as (

    select
        cast(employee_id as {{ dbt.type_string() }}) as employee_id,
        cast(department as {{ dbt.type_string() }}) as department,
        cast(product_line as {{ dbt.type_string() }}) as product_line,
        cast(hired_on as date) as hired_on,
        cast(terminated_on as date) as terminated_on,
        cast(fte as decimal(6, 4)) as fte
    from source

)

select * from renamed
