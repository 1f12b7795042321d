with source as (

    select * from {{ source('marketing', 'web_events') }}

),

renamed as (

    select
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        cast(visitor_id as {{ dbt.type_string() }}) as visitor_id,
        cast(session_id as {{ dbt.type_string() }}) as session_id,
        cast(event_name as {{ dbt.type_string() }}) as event_name,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id
    from source

)

select * from renamed
