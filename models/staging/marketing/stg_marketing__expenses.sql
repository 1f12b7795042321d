with source as (

    select * from {{ source('marketing', 'expenses') }}

),

renamed as (

    select
        cast(expense_id as {{ dbt.type_string() }}) as expense_id,
        cast(booked_on as date) as booked_on,
        cast(department as {{ dbt.type_string() }}) as department,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(amount as decimal(18, 4)) as amount,
        upper(cast(currency as {{ dbt.type_string() }})) as currency
    from source

)

select * from renamed
