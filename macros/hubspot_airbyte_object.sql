{#- A HubSpot object stream as Airbyte lands it (`companies`, `contacts`), as Fivetran's table
    (a select): `id`; `deleted_as` (is_deleted, _fivetran_deleted) true when the record is
    `archived` or listed in the optional stream <stream>_archived; and each landed property
    column properties_<name> as property_<name>: the `standard` ones ({name: contract type})
    and those NYCKELTAL_HUBSPOT_PROPERTIES names for any of `contract_columns` (as text). Each
    record in its latest version (macro airbyte_source). -#}
{% macro hubspot_airbyte_object(stream, standard, contract_columns, deleted_as) -%}
    {%- set custom = hubspot_property_names(contract_columns, standard.keys() | list) -%}
    {%- set columns = {'id': 'varchar', 'archived': 'boolean'} -%}
    {%- for name, data_type in standard.items() -%}
        {%- do columns.update({'properties_' ~ name: data_type}) -%}
    {%- endfor -%}
    {%- for name in custom -%}
        {%- do columns.update({'properties_' ~ name: 'varchar'}) -%}
    {%- endfor -%}
with landed_records as (

    select
        {%- for name in columns %}
        {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ airbyte_source('hubspot_airbyte', stream, columns, cursor='updatedAt') }}
        as landed

),

archived as (

    select id
    from {{ airbyte_source(
        'hubspot_airbyte', stream ~ '_archived', {'id': 'varchar'}, cursor='updatedAt'
    ) }} as landed_archived

)

select
    landed_records.id,
    coalesce(landed_records.archived, false) or archived.id is not null as {{ deleted_as }},
    {%- for name in (standard.keys() | list) + custom %}
    landed_records.properties_{{ name }} as property_{{ name }}
    {{- ',' if not loop.last }}
    {%- endfor %}
from landed_records
left join archived on landed_records.id = archived.id
{%- endmacro %}
