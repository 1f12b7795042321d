{#- Every scorecard row agrees with its kpi_code's entry in seeds/kpi_catalogue.csv: the
    unit is the catalogue's, the period grain and the segment type are among the
    catalogue's. Fails with one row per (kpi_code, unit, period_grain, segment_type) that
    disagrees; an unknown kpi_code fails the relationships test instead. -#}
with kpi_catalogue as (

    select
        kpi_code,
        unit,
        {{ dbt.concat(["' '", 'period_grains', "' '"]) }} as padded_period_grains,
        {{ dbt.concat(["' '", 'segment_types', "' '"]) }} as padded_segment_types
    from {{ ref('kpi_catalogue') }}

),

scorecard_kinds as (

    select distinct
        kpi_code,
        unit,
        period_grain,
        segment_type
    from {{ ref('kpi_scorecard') }}

),

final as (

    select
        scorecard_kinds.kpi_code,
        scorecard_kinds.unit,
        scorecard_kinds.period_grain,
        scorecard_kinds.segment_type
    from scorecard_kinds
    inner join kpi_catalogue
        on scorecard_kinds.kpi_code = kpi_catalogue.kpi_code
    where
        scorecard_kinds.unit != kpi_catalogue.unit
        or kpi_catalogue.padded_period_grains
        not like {{ dbt.concat(["'% '", 'scorecard_kinds.period_grain', "' %'"]) }}
        or kpi_catalogue.padded_segment_types
        not like {{ dbt.concat(["'% '", 'scorecard_kinds.segment_type', "' %'"]) }}

)

select * from final
