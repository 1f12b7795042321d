"""The forecast path of every scorecard series, horizons 1..12 (docs/insights.md).

nyckeltal.insights.forecast_paths: each series' model chosen by a rolling-origin backtest
(int_kpi_forecast_selection, stored), fitted on its whole history (statsforecast).
marts.kpi_forecasts publishes the first four horizons; the target outlook
reads up to the end of the year. A dbt Python model: DuckDB only (on the other engines the
refresh writes the same table: nyckeltal.insights.foresight).
"""

from nyckeltal.insights.forecast_paths import PROJECTION, forecast_paths
from nyckeltal.insights.outlook_rows import as_of_date_of


def model(dbt, session):
    dbt.config(materialized="table")
    paths = forecast_paths(
        dbt.ref("kpi_scorecard").df(),
        dbt.ref("kpi_catalogue").df(),
        as_of_date_of(dbt.ref("int_reporting_window").df()),
        dbt.ref("int_kpi_forecast_selection").df(),
    )
    return session.from_df(paths).project(PROJECTION)
