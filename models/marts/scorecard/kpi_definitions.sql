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

kpi_targets as (

    select
        kpi_code,
        segment_type,
        segment_value,
        target_value,
        warning_value
    from {{ ref('kpi_targets') }}

),

-- The target of the KPI's total: a row naming total/all wins over the KPI-wide row (empty
-- segment), as in kpi_scorecard.
total_targets as (

    select
        kpi_code,
        target_value,
        warning_value,
        row_number() over (
            partition by kpi_code
            order by case when segment_type = 'total' then 0 else 1 end
        ) as target_rank
    from kpi_targets
    where
        (segment_type = 'total' and segment_value = 'all')
        or (segment_type is null and segment_value is null)

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
        cast(total_targets.target_value as {{ type_double() }}) as target_value,
        cast(total_targets.warning_value as {{ type_double() }}) as warning_value
    from kpi_catalogue
    left join total_targets
        on
            kpi_catalogue.kpi_code = total_targets.kpi_code
            and total_targets.target_rank = 1

)

select * from final
