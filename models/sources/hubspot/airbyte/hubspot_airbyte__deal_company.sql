{#- One row per company a deal is associated with (the array `companies` of its ids). #}
with deals as (

    select
        id,
        companies
    from {{ airbyte_source('hubspot_airbyte', 'deals', {
        'id': 'varchar', 'companies': 'varchar'
    }, cursor='updatedAt') }} as landed_deals
    where companies is not null

),

associations as (

    select
        id as deal_id,
        {{ json_array_texts('companies') }} as company_id
    from deals

)

select
    deal_id,
    company_id
from associations
