{#- One row per KPI family (seeds/kpi_catalogue.csv): available when every table it needs
    (seeds/kpi_family_inputs.csv, the dbt lineage of its int_kpi_rows_<family> model) was
    loaded. The load manifest names the absent tables; a table it does not list (a warehouse
    made without the loader) counts as loaded. billing.fx_rates never makes a family
    unavailable: the loader accepts a load without it only when all its money is in the
    reporting currency, which converts at 1.0 (int_fx_rates_daily). -#}
with kpi_catalogue as (

    select distinct
        family,
        family_name
    from {{ ref('kpi_catalogue') }}

),

kpi_family_inputs as (

    select
        family,
        table_key
    from {{ ref('kpi_family_inputs') }}

),

tables_loaded as (

    select
        table_key,
        is_loaded
    from {{ ref('stg_nyckeltal__tables_loaded') }}

),

inputs_absent as (

    select
        kpi_family_inputs.family,
        kpi_family_inputs.table_key
    from kpi_family_inputs
    inner join tables_loaded
        on kpi_family_inputs.table_key = tables_loaded.table_key
    where
        not tables_loaded.is_loaded
        and kpi_family_inputs.table_key != 'billing.fx_rates'

),

families_with_inputs as (

    select
        kpi_catalogue.family,
        kpi_catalogue.family_name,
        {{ sorted_list('kpi_family_inputs.table_key') }} as required_tables
    from kpi_catalogue
    inner join kpi_family_inputs
        on kpi_catalogue.family = kpi_family_inputs.family
    group by kpi_catalogue.family, kpi_catalogue.family_name

),

missing_by_family as (

    select
        family,
        {{ sorted_list('table_key') }} as missing_tables
    from inputs_absent
    group by family

),

final as (

    select
        families_with_inputs.family,
        families_with_inputs.family_name,
        missing_by_family.family is null as is_available,
        families_with_inputs.required_tables,
        missing_by_family.missing_tables
    from families_with_inputs
    left join missing_by_family
        on families_with_inputs.family = missing_by_family.family

)

select * from final
