{#- The published forecasts: the in-progress period and the next three of every series
    (int_kpi_forecast_paths, horizons 1-4; docs/insights.md). The paths come from a dbt
    Python model on DuckDB, from the refresh elsewhere (macros/foresight_relation.sql). -#}
-- depends_on: {{ ref('kpi_scorecard') }}
with computed as (
    select {{ yaml_columns() }}
    from {{ foresight_relation('int_kpi_forecast_paths') }}
),

final as (
    select {{ yaml_columns() }}
    from computed
    where horizon <= 4
)

select * from final
