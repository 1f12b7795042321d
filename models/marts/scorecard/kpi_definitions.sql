{{ config(contract={'enforced': true}) }}

{#- The KPI catalogue for BI tools: what each kpi_code of kpi_scorecard means (name,
    definition, unit, direction) and its KPI-wide target, from the seeds kpi_catalogue and
    kpi_targets. -#}
with kpi_catalogue as (

    select
        kpi_code,
        display_name,
        family,
        family_name,
        definition,
        unit,
        unit_wording,
        period_grains,
        direction,
        segment_types
    from {{ ref('kpi_catalogue') }}

),

kpi_wide_targets as (

    select
        kpi_code,
        target_value,
        warning_value
    from {{ ref('kpi_targets') }}
    where segment_type is null and segment_value is null

),

final as (

    select
        kpi_catalogue.kpi_code,
        kpi_catalogue.family,
        kpi_catalogue.family_name,
        kpi_catalogue.display_name as kpi_name,
        kpi_catalogue.definition,
        kpi_catalogue.unit,
        {{ currency_code_of('kpi_catalogue.unit') }} as currency_code,
        cast(
            nullif(kpi_catalogue.unit_wording, '') as {{ dbt.type_string() }}
        ) as unit_wording,
        kpi_catalogue.period_grains,
        kpi_catalogue.segment_types,
        kpi_catalogue.direction,
        cast(kpi_wide_targets.target_value as {{ type_double() }}) as target_value,
        cast(kpi_wide_targets.warning_value as {{ type_double() }}) as warning_value
    from kpi_catalogue
    left join kpi_wide_targets
        on kpi_catalogue.kpi_code = kpi_wide_targets.kpi_code

)

select * from final
