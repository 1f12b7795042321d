{{ config(alias='leads') }}

with contacts as (

    select
        contact_id,
        company_id,
        lead_at,
        qualified_at,
        became_customer_at,
        channel,
        campaign_id
    from {{ ref('hubspot_fivetran__contacts') }}
    where lead_at is not null

),

customers as (

    select
        company_id,
        customer_id
    from {{ ref('hubspot_fivetran__companies') }}
    where became_customer_at is not null

),

final as (

    select
        contacts.contact_id as lead_id,
        contacts.lead_at as created_at,
        contacts.channel,
        contacts.campaign_id,
        contacts.qualified_at,
        customers.customer_id as converted_customer_id,
        cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }}) as _loaded_at
    from contacts
    left join customers
        on
            contacts.company_id = customers.company_id
            and contacts.became_customer_at is not null

)

select
    lead_id,
    created_at,
    channel,
    campaign_id,
    qualified_at,
    converted_customer_id,
    _loaded_at
from final
