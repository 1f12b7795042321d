"""The target outlook of every scorecard series with a target (docs/insights.md):
nyckeltal.insights.outlook_rows on the forecast paths. marts.kpi_target_outlook publishes it
with a contract. A dbt Python model: DuckDB only (on the other engines the refresh writes the
same table: nyckeltal.insights.foresight).
"""

from nyckeltal.insights.outlook_rows import PROJECTION, as_of_date_of, target_outlook


def model(dbt, session):
    dbt.config(materialized="table")
    rows = target_outlook(
        dbt.ref("int_kpi_forecast_paths").df(),
        dbt.ref("kpi_scorecard").df(),
        dbt.ref("kpi_catalogue").df(),
        as_of_date_of(dbt.ref("int_reporting_window").df()),
    )
    return session.from_df(rows).project(PROJECTION)
