{{ config(alias='customers') }}

with companies as (

    select
        company_id,
        customer_id,
        became_customer_at,
        company_name,
        segment,
        region,
        country_code,
        acquisition_channel,
        acquisition_campaign_id
    from {{ ref('hubspot_fivetran__companies') }}
    where became_customer_at is not null

),

converted_leads as (

    select
        contact_id,
        company_id,
        lead_at
    from {{ ref('hubspot_fivetran__contacts') }}
    where lead_at is not null and became_customer_at is not null

),

first_leads as (

    select
        company_id,
        {{ first_value_by('contact_id', ['lead_at', 'contact_id']) }} as lead_id
    from converted_leads
    group by company_id

),

final as (

    select
        companies.customer_id,
        companies.became_customer_at as created_at,
        companies.company_name,
        companies.segment,
        companies.region,
        companies.country_code,
        companies.acquisition_channel,
        companies.acquisition_campaign_id,
        first_leads.lead_id,
        cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }}) as _loaded_at
    from companies
    left join first_leads on companies.company_id = first_leads.company_id

)

select
    customer_id,
    created_at,
    company_name,
    segment,
    region,
    country_code,
    acquisition_channel,
    acquisition_campaign_id,
    lead_id,
    _loaded_at
from final
