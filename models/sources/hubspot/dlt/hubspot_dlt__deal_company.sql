{#- Fivetran's `deal_company` from the companies associated with each deal
    (deals__associations__companies__results, child of deals): one row per deal and company,
    whatever the association's labels. #}
select distinct
    deals.id as deal_id,
    associations.id as company_id
from {{ hubspot_dlt_source('deals__associations__companies__results', {
    'id': 'varchar',
    '_dlt_parent_id': 'varchar',
}) }} as associations
inner join {{ hubspot_dlt_source('deals', {'id': 'varchar', '_dlt_id': 'varchar'}) }} as deals
    on associations._dlt_parent_id = deals._dlt_id
