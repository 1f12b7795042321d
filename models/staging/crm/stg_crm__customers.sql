with source as (

    select * from {{ source('crm', 'customers') }}

),

renamed as (

    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(company_name as {{ dbt.type_string() }}) as company_name,
        cast(segment as {{ dbt.type_string() }}) as segment,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(country_code as {{ dbt.type_string() }}) as country_code,
        cast(acquisition_channel as {{ dbt.type_string() }}) as acquisition_channel,
        cast(acquisition_campaign_id as {{ dbt.type_string() }}) as acquisition_campaign_id,
        cast(lead_id as {{ dbt.type_string() }}) as lead_id
    from source

)

select * from renamed
