{{ config(contract={'enforced': true}) }}

{#- Which KPI families the last load could compute: one row per family, with the tables it
    needs and, when not available, the absent ones (docs/data-contract.md#optional-tables). -#}
with final as (

    select
        family,
        family_name,
        is_available,
        required_tables,
        missing_tables
    from {{ ref('int_kpi_family_availability') }}

)

select * from final
