with source as (

    select * from {{ source('marketing', 'ad_spend') }}

),

renamed as (

    select
        cast(spend_date as date) as spend_date,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(spend as decimal(18, 4)) as spend,
        upper(cast(currency as {{ dbt.type_string() }})) as currency,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks
    from source

)

select * from renamed
