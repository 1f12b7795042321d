with source as (

    select * from {{ source('crm', 'nps_responses') }}

),

renamed as (

    select
        cast(response_id as {{ dbt.type_string() }}) as response_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(responded_at as {{ dbt.type_timestamp() }}) as responded_at,
        cast(score as {{ dbt.type_int() }}) as score,
        cast(touchpoint as {{ dbt.type_string() }}) as touchpoint
    from source

)

select * from renamed
