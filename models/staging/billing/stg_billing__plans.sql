with source as (

    select * from {{ source('billing', 'plans') }}

),

renamed as (

    select
        cast(plan_id as {{ dbt.type_string() }}) as plan_id,
        cast(plan_name as {{ dbt.type_string() }}) as plan_name,
        cast(product_line as {{ dbt.type_string() }}) as product_line,
        cast(billing_interval as {{ dbt.type_string() }}) as billing_interval,
        cast(list_price as decimal(18, 4)) as list_price,
        upper(cast(currency as {{ dbt.type_string() }})) as currency
    from source

)

select * from renamed
