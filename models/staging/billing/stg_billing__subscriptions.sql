with source as (

    select * from {{ source('billing', 'subscriptions') }}

),

renamed as (

    select
        cast(subscription_id as {{ dbt.type_string() }}) as subscription_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(plan_id as {{ dbt.type_string() }}) as plan_id,
        cast(started_at as {{ dbt.type_timestamp() }}) as started_at,
        cast(ended_at as {{ dbt.type_timestamp() }}) as ended_at,
        cast(mrr as decimal(18, 4)) as mrr,
        upper(cast(currency as {{ dbt.type_string() }})) as currency
    from source

)

select * from renamed
