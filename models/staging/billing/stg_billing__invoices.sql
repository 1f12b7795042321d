with source as (

    select * from {{ source('billing', 'invoices') }}

),

renamed as (

    select
        cast(invoice_id as {{ dbt.type_string() }}) as invoice_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(subscription_id as {{ dbt.type_string() }}) as subscription_id,
        cast(product_line as {{ dbt.type_string() }}) as product_line,
        cast(issued_at as {{ dbt.type_timestamp() }}) as issued_at,
        cast(amount as decimal(18, 4)) as amount,
        upper(cast(currency as {{ dbt.type_string() }})) as currency,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(issued_at as date) as issued_on
    from source

)

select * from renamed
