"""The target outlook of every scorecard series with a target (docs/insights.md):
nyckeltal.insights.outlook_rows on the forecast paths. marts.kpi_target_outlook publishes it
with a contract. A dbt Python model: DuckDB only.
"""

from nyckeltal.insights.outlook_rows import target_outlook


def model(dbt, session):
    dbt.config(materialized="table")
    paths = dbt.ref("int_kpi_forecast_paths").df()
    scorecard = dbt.ref("kpi_scorecard").df()
    catalogue = dbt.ref("kpi_catalogue").df()
    as_of_date = dbt.ref("int_reporting_window").df()["as_of_date"].iloc[0]
    rows = target_outlook(
        paths,
        scorecard,
        catalogue,
        as_of_date.date() if hasattr(as_of_date, "date") else as_of_date,
    )
    return session.from_df(rows).project(
        "cast(kpi_code as varchar) as kpi_code, "
        "cast(segment_type as varchar) as segment_type, "
        "cast(segment_value as varchar) as segment_value, "
        "cast(period_grain as varchar) as period_grain, "
        "cast(outlook_period as varchar) as outlook_period, "
        "cast(period_start as date) as period_start, "
        "cast(period_end as date) as period_end, "
        "cast(target_value as double) as target_value, "
        "cast(direction as varchar) as direction, "
        "cast(expected_value as double) as expected_value, "
        "cast(expected_sd as double) as expected_sd, "
        "cast(probability_on_target as double) as probability_on_target, "
        "cast(method as varchar) as method, "
        "cast(value_so_far as double) as value_so_far, "
        "cast(elapsed_share as double) as elapsed_share, "
        "cast(outlook_state as varchar) as outlook_state, "
        "cast(impact_score as double) as impact_score, "
        "cast(outlook_text as varchar) as outlook_text"
    )
