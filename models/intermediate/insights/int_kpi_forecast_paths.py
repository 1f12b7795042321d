"""The forecast path of every scorecard series, horizons 1..12 (docs/insights.md).

nyckeltal.insights.forecast_paths: each series' model chosen by a rolling-origin backtest
(int_kpi_forecast_selection, stored), fitted on its whole history (statsforecast).
marts.kpi_forecasts publishes the first four horizons; the target outlook
reads up to the end of the year. A dbt Python model: DuckDB only.
"""

from nyckeltal.insights.forecast_paths import forecast_paths
from nyckeltal.insights.selection import BACKTEST_PROJECTION


def model(dbt, session):
    dbt.config(materialized="table")
    scorecard = dbt.ref("kpi_scorecard").df()
    catalogue = dbt.ref("kpi_catalogue").df()
    selection = dbt.ref("int_kpi_forecast_selection").df()
    as_of_date = dbt.ref("int_reporting_window").df()["as_of_date"].iloc[0]
    paths = forecast_paths(
        scorecard,
        catalogue,
        as_of_date.date() if hasattr(as_of_date, "date") else as_of_date,
        selection,
    )
    return session.from_df(paths).project(
        "cast(kpi_code as varchar) as kpi_code, "
        "cast(segment_type as varchar) as segment_type, "
        "cast(segment_value as varchar) as segment_value, "
        "cast(period_grain as varchar) as period_grain, "
        "cast(horizon as integer) as horizon, "
        "cast(period_start as date) as period_start, "
        "cast(period_end as date) as period_end, "
        "cast(is_in_progress as boolean) as is_in_progress, "
        "cast(forecast_state as varchar) as forecast_state, "
        "cast(model as varchar) as model, "
        "cast(beats_naive as boolean) as beats_naive, "
        "cast(forecast as double) as forecast, "
        "cast(lower_80 as double) as lower_80, "
        "cast(upper_80 as double) as upper_80, "
        "cast(lower_95 as double) as lower_95, "
        "cast(upper_95 as double) as upper_95, "
        "cast(unit as varchar) as unit, "
        "cast(history_periods as integer) as history_periods, "
        "cast(last_complete_period_start as date) as last_complete_period_start, "
        "cast(last_value as double) as last_value, " + BACKTEST_PROJECTION
    )
