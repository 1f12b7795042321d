"""The forecast paths of every scorecard series: the rows of `int_kpi_forecast_paths`.

One row per series (kpi_code, segment_type, segment_value, period_grain of a regular grain)
and horizon 1..HORIZON: horizon 1 is the period after the latest complete one (the period in
progress on the as-of date, when it has started), each with the chosen model's forecast and
80 % / 95 % intervals (nyckeltal.insights.forecast), calibrated on the backtest of every
series of the same model (nyckeltal.insights.calibration). A series with fewer complete
periods than forecast.min_periods() has one row, horizon 1, forecast_state 'too_short' and no
forecast.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from nyckeltal.insights import calibration as cal
from nyckeltal.insights import forecast as fc
from nyckeltal.insights import selection as sel

COLUMNS = [
    "kpi_code",
    "segment_type",
    "segment_value",
    "period_grain",
    "horizon",
    "period_start",
    "period_end",
    "is_in_progress",
    "forecast_state",
    "model",
    "beats_naive",
    "forecast",
    "lower_80",
    "upper_80",
    "lower_95",
    "upper_95",
    "unit",
    "history_periods",
    "last_complete_period_start",
    "last_value",
    "backtest_mase",
    "backtest_smape",
    "naive_mase",
    "naive_smape",
    "backtest_points",
    "backtest_covered_80",
    "backtest_covered_95",
]

# The table's columns and types (int_kpi_forecast_paths).
PROJECTION = (
    f"{fc.KEY_PROJECTION}, "
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
    f"cast(last_value as double) as last_value, {sel.BACKTEST_PROJECTION}"
)


def forecast_paths(
    scorecard: pd.DataFrame,
    catalogue: pd.DataFrame,
    as_of_date: dt.date,
    selection: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The rows of int_kpi_forecast_paths from the scorecard, the KPI catalogue (bounds) and
    the as-of date. `selection`: stored choices (nyckeltal.insights.selection.COLUMNS); the
    series without a valid one are backtested here."""
    series = fc.series_frame(scorecard)
    if series.empty:
        return pd.DataFrame(columns=COLUMNS)
    summary = sel.series_summary(series)
    choices = sel.select(series, summary, selection)
    paths = []
    for season, grains in sel.grains_by_season().items():
        subset = series[series["period_grain"].isin(grains)]
        if not subset.empty:
            paths.append(fc.fit_chosen(subset, season, choices))
    forecasts = pd.concat(paths, ignore_index=True) if paths else pd.DataFrame()
    if not forecasts.empty:
        forecasts = cal.scaled(forecasts, interval_factors(choices))
    return _path_rows(summary, choices, forecasts, catalogue, as_of_date)[COLUMNS]


def interval_factors(choices: dict[str, fc.Choice]) -> dict[str, dict[int, float]]:
    """The calibration factor per model and level from the backtest of every series but
    the engine-specific ones (calibration_table)."""
    return cal.factors(calibration_table({k: (c.model, c.scores) for k, c in choices.items()}))


def calibration_table(
    scores_by_series: Mapping[str, tuple[str, Iterable[cal.Score]]],
) -> pd.DataFrame:
    """The chosen models' backtest steps (calibration.score_table) of {series_id: (model,
    scores)}, the series of calibration.ENGINE_SPECIFIC_SEGMENT_TYPES outside the pool: what
    the published intervals are calibrated on, and what `nyckeltal forecast-accuracy`
    measures."""
    outside = [
        key
        for key in scores_by_series
        if fc.series_key(key)["segment_type"] in cal.ENGINE_SPECIFIC_SEGMENT_TYPES
    ]
    return cal.score_table(scores_by_series, outside)


def _bounds(catalogue: pd.DataFrame) -> dict[str, tuple[float | None, float | None]]:
    def number(value: object) -> float | None:
        return None if value is None or pd.isna(value) or value == "" else float(value)

    return {
        str(row.kpi_code): (number(row.min_value), number(row.max_value))
        for row in catalogue.itertuples(index=False)
    }


def _path_rows(
    summary: pd.DataFrame,
    choices: dict[str, fc.Choice],
    forecasts: pd.DataFrame,
    catalogue: pd.DataFrame,
    as_of_date: dt.date,
) -> pd.DataFrame:
    """Every series' rows, at once: its forecast steps (a too-short series: one row, horizon
    1, no forecast), ordered and bounded, dated, with the series' facts and backtest."""
    too_short = summary.loc[~summary["unique_id"].isin(list(choices)), ["unique_id"]]
    steps = pd.concat(
        [
            forecasts.rename(
                columns={
                    band: band.replace("lo", "lower").replace("hi", "upper")
                    for band in ("lo_80", "hi_80", "lo_95", "hi_95")
                }
            ),
            too_short.assign(step=1, model=None),
        ],
        ignore_index=True,
    )
    rows = steps.merge(summary, on="unique_id", how="left", validate="many_to_one")
    bounds = _bounds(catalogue)
    low = rows["kpi_code"].map(lambda code: (bounds.get(code) or (None, None))[0])
    high = rows["kpi_code"].map(lambda code: (bounds.get(code) or (None, None))[1])
    rows = ordered(rows, low.astype(float).to_numpy(), high.astype(float).to_numpy())
    months = rows["period_grain"].map(fc.GRAIN_MONTHS).astype(int) * rows["step"].astype(int)
    last = pd.to_datetime(rows["last_complete_period_start"])
    starts = _add_months(last, months)
    ends = _add_months(starts, rows["period_grain"].map(fc.GRAIN_MONTHS).astype(int))
    ends = ends - pd.Timedelta(days=1)
    as_of = pd.Timestamp(as_of_date)
    rows["horizon"] = rows["step"].astype(int)
    rows["period_start"], rows["period_end"] = starts.dt.date, ends.dt.date
    rows["is_in_progress"] = ((starts <= as_of) & (as_of <= ends)).to_numpy()
    forecast = rows["unique_id"].isin(list(choices))
    rows["forecast_state"] = np.where(forecast, fc.FORECAST, fc.TOO_SHORT)
    rows["history_periods"] = rows["history_periods"].astype(int)
    rows["last_complete_period_start"] = last.dt.date
    rows["last_value"] = rows["last_value"].astype(float)
    backtest = pd.DataFrame(
        [sel.choice_columns(choices.get(key)) for key in rows["unique_id"]], index=rows.index
    )
    for column in backtest.columns:
        rows[column] = backtest[column]
    return rows.sort_values(["unique_id", "horizon"], kind="stable").reset_index(drop=True)


def _add_months(moments: pd.Series, months: pd.Series) -> pd.Series:
    """Each moment plus its number of months (pandas' month arithmetic, one offset per
    distinct number)."""
    result = pd.Series(pd.NaT, index=moments.index, dtype="datetime64[ns]")
    for count in months.unique():
        where = months == count
        result[where] = moments[where] + pd.DateOffset(months=int(count))
    return result


def ordered(
    steps: pd.DataFrame, low: float | np.ndarray | None, high: float | np.ndarray | None
) -> pd.DataFrame:
    """lower_95 <= lower_80 <= forecast <= upper_80 <= upper_95, within the KPI's bounds
    (scalars or one per row; None or NaN: unbounded)."""
    steps = steps.copy()
    columns = ["lower_95", "lower_80", "forecast", "upper_80", "upper_95"]
    values = np.sort(steps[columns].to_numpy(dtype=float), axis=1)
    if low is not None:
        values = np.where(values < np.reshape(low, (-1, 1)), np.reshape(low, (-1, 1)), values)
    if high is not None:
        values = np.where(values > np.reshape(high, (-1, 1)), np.reshape(high, (-1, 1)), values)
    steps[columns] = values
    return steps
