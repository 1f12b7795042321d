{{ config(materialized='ephemeral') }}

with contacts as (

    select
        cast(id as {{ dbt.type_string() }}) as contact_id,
        cast(property_associatedcompanyid as {{ dbt.type_string() }}) as company_id,
        property_hs_analytics_source,
        property_hs_lifecyclestage_lead_date,
        property_hs_lifecyclestage_marketingqualifiedlead_date,
        property_hs_lifecyclestage_salesqualifiedlead_date,
        property_hs_lifecyclestage_opportunity_date,
        property_hs_lifecyclestage_customer_date,
        {{ hubspot_property('channel') }} as channel_property,
        {{ hubspot_property('campaign_id') }} as campaign_property
    from {{ hubspot_landed('contact') }}
    where not coalesce(_fivetran_deleted, false)

),

final as (

    select
        contact_id,
        company_id,
        cast(
            coalesce(
                property_hs_lifecyclestage_lead_date,
                least(
                    property_hs_lifecyclestage_marketingqualifiedlead_date,
                    property_hs_lifecyclestage_salesqualifiedlead_date,
                    property_hs_lifecyclestage_opportunity_date,
                    property_hs_lifecyclestage_customer_date
                )
            ) as {{ dbt.type_timestamp() }}
        ) as lead_at,
        cast(
            coalesce(
                property_hs_lifecyclestage_marketingqualifiedlead_date,
                least(
                    property_hs_lifecyclestage_salesqualifiedlead_date,
                    property_hs_lifecyclestage_opportunity_date,
                    property_hs_lifecyclestage_customer_date
                )
            ) as {{ dbt.type_timestamp() }}
        ) as qualified_at,
        cast(property_hs_lifecyclestage_customer_date as {{ dbt.type_timestamp() }})
            as became_customer_at,
        coalesce(
            lower(trim(channel_property)),
            {{ hubspot_channel('property_hs_analytics_source') }}
        ) as channel,
        campaign_property as campaign_id
    from contacts

)

select * from final
