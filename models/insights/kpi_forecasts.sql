{#- The published forecasts: the in-progress period and the next three of every series
    (int_kpi_forecast_paths, horizons 1-4; docs/insights.md). -#}
{%- set columns = [
    'kpi_code',
    'segment_type',
    'segment_value',
    'period_grain',
    'horizon',
    'period_start',
    'period_end',
    'is_in_progress',
    'forecast_state',
    'model',
    'beats_naive',
    'forecast',
    'lower_80',
    'upper_80',
    'lower_95',
    'upper_95',
    'unit',
    'history_periods',
    'last_complete_period_start',
    'last_value',
    'backtest_mase',
    'backtest_smape',
    'naive_mase',
    'naive_smape',
    'backtest_points',
    'backtest_covered_80',
    'backtest_covered_95',
] -%}

with computed as (
    select {{ columns | join(', ') }}
    from {{ ref('int_kpi_forecast_paths') }}
),

final as (
    select {{ columns | join(', ') }}
    from computed
    where horizon <= 4
)

select * from final
