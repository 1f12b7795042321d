"""The model chosen per scorecard series by the rolling-origin backtest, stored
(docs/insights.md#kpi-forecasts): nyckeltal.insights.selection.

Incremental: a refresh re-uses the stored choice of every series whose complete periods are
unchanged (latest one, number, fingerprint of their values: a new day in the same month) and
backtests the others; `dbt build --full-refresh` backtests every series again. A dbt Python
model: DuckDB only.
"""

from nyckeltal.insights.selection import BACKTEST_PROJECTION, SCORES_PROJECTION, model_selection


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        on_schema_change="sync_all_columns",
        unique_key=["kpi_code", "segment_type", "segment_value", "period_grain"],
    )
    scorecard = dbt.ref("kpi_scorecard").df()
    stored = session.sql(f"select * from {dbt.this}").df() if dbt.is_incremental else None
    rows = model_selection(scorecard, stored)
    return session.from_df(rows).project(
        "cast(kpi_code as varchar) as kpi_code, "
        "cast(segment_type as varchar) as segment_type, "
        "cast(segment_value as varchar) as segment_value, "
        "cast(period_grain as varchar) as period_grain, "
        "cast(last_complete_period_start as date) as last_complete_period_start, "
        "cast(history_periods as integer) as history_periods, "
        "cast(history_fingerprint as varchar) as history_fingerprint, "
        "cast(model as varchar) as model, "
        "cast(beats_naive as boolean) as beats_naive, "
        + BACKTEST_PROJECTION
        + ", "
        + SCORES_PROJECTION
    )
