{#- The published forecasts: the in-progress period and the next three of every series
    (int_kpi_forecast_paths, horizons 1-4; docs/insights.md). -#}
with computed as (
    select {{ yaml_columns() }}
    from {{ ref('int_kpi_forecast_paths') }}
),

final as (
    select {{ yaml_columns() }}
    from computed
    where horizon <= 4
)

select * from final
