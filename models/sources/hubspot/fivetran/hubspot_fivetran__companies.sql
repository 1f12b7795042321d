{{ config(materialized='ephemeral') }}

with companies as (

    select
        cast(id as {{ dbt.type_string() }}) as company_id,
        {{ hubspot_property('customer_id') }} as customer_id_property,
        property_name,
        property_hs_lifecyclestage_customer_date,
        property_numberofemployees,
        property_country,
        property_hs_analytics_source,
        {{ hubspot_property('segment') }} as segment_property,
        {{ hubspot_property('region') }} as region_property,
        {{ hubspot_property('country_code', 'property_country') }} as country_code_property,
        {{ hubspot_property('acquisition_channel') }} as channel_property,
        {{ hubspot_property('acquisition_campaign_id') }} as campaign_property
    from {{ hubspot_landed('company') }}
    where not coalesce(is_deleted, false)

),

won_stages as (

    select stage_id
    from {{ hubspot_landed('deal_pipeline_stage') }}
    where
        not coalesce(_fivetran_deleted, false)
        and coalesce(is_closed, false)
        and probability >= 1

),

deals as (

    select
        deal_id,
        deal_pipeline_stage_id,
        property_closedate
    from {{ hubspot_landed('deal') }}
    where not coalesce(is_deleted, false)

),

deal_companies as (

    select
        deal_id,
        cast(company_id as {{ dbt.type_string() }}) as company_id
    from {{ hubspot_landed('deal_company') }}

),

first_deals_won as (

    select
        deal_companies.company_id,
        min(deals.property_closedate) as first_won_at
    from deals
    inner join won_stages on deals.deal_pipeline_stage_id = won_stages.stage_id
    inner join deal_companies on deals.deal_id = deal_companies.deal_id
    group by deal_companies.company_id

),

final as (

    select
        companies.company_id,
        coalesce(companies.customer_id_property, companies.company_id) as customer_id,
        cast(
            coalesce(
                companies.property_hs_lifecyclestage_customer_date, first_deals_won.first_won_at
            ) as {{ dbt.type_timestamp() }}
        ) as became_customer_at,
        coalesce(companies.property_name, companies.company_id) as company_name,
        case
            when companies.segment_property is not null
                then replace(replace(lower(trim(companies.segment_property)), ' ', '_'), '-', '_')
            when companies.property_numberofemployees >= 1000 then 'enterprise'
            when companies.property_numberofemployees >= 50 then 'mid_market'
            else 'smb'
        end as segment,
        coalesce(companies.region_property, companies.property_country, 'unknown') as region,
        case
            when length(trim(companies.country_code_property)) = 2
                then upper(trim(companies.country_code_property))
        end as country_code,
        coalesce(
            lower(trim(companies.channel_property)),
            {{ hubspot_channel('companies.property_hs_analytics_source') }}
        ) as acquisition_channel,
        companies.campaign_property as acquisition_campaign_id
    from companies
    left join first_deals_won on companies.company_id = first_deals_won.company_id

)

select * from final
