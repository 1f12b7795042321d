"""The model chosen per scorecard series by the rolling-origin backtest, stored
(docs/insights.md#kpi-forecasts): nyckeltal.insights.selection.

Incremental: a refresh re-uses the stored choice of every series whose complete periods are
unchanged (latest one, number, fingerprint of their values: a new day in the same month) and
backtests the others; `dbt build --full-refresh` backtests every series again. A dbt Python
model: DuckDB only (on the other engines the refresh writes the same table:
nyckeltal.insights.foresight).
"""

from nyckeltal.insights.selection import PROJECTION, model_selection


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        on_schema_change="sync_all_columns",
        unique_key=["kpi_code", "segment_type", "segment_value", "period_grain"],
    )
    scorecard = dbt.ref("kpi_scorecard").df()
    stored = session.sql(f"select * from {dbt.this}").df() if dbt.is_incremental else None
    return session.from_df(model_selection(scorecard, stored)).project(PROJECTION)
