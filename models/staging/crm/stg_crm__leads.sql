with source as (

    select * from {{ source('crm', 'leads') }}

),

renamed as (

    select
        cast(lead_id as {{ dbt.type_string() }}) as lead_id,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(qualified_at as {{ dbt.type_timestamp() }}) as qualified_at,
        cast(converted_customer_id as {{ dbt.type_string() }}) as converted_customer_id
    from source

)

select * from renamed
