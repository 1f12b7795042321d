"""The forecast paths of every scorecard series: the rows of `int_kpi_forecast_paths`.

One row per series (kpi_code, segment_type, segment_value, period_grain of a regular grain)
and horizon 1..HORIZON: horizon 1 is the period after the latest complete one (the period in
progress on the as-of date, when it has started), each with the chosen model's forecast and
80 % / 95 % intervals (nyckeltal.insights.forecast). A series with fewer complete periods than
forecast.min_periods() has one row, horizon 1, forecast_state 'too_short' and no forecast.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from nyckeltal.insights import forecast as fc

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


def forecast_paths(
    scorecard: pd.DataFrame, catalogue: pd.DataFrame, as_of_date: dt.date
) -> pd.DataFrame:
    """The rows of int_kpi_forecast_paths from the scorecard, the KPI catalogue (bounds) and
    the as-of date."""
    series = fc.series_frame(scorecard)
    if series.empty:
        return pd.DataFrame(columns=COLUMNS)
    summary = (
        series.groupby("unique_id", sort=True)
        .agg(
            **{column: (column, "first") for column in [*fc.SERIES_KEY, "unit"]},
            history_periods=("position", "max"),
            last_complete_period_start=("period_start", "max"),
            last_value=("value", "last"),
        )
        .reset_index()
    )
    paths, choices = [], {}
    for season, grains in _grains_by_season().items():
        subset = series[series["period_grain"].isin(grains)]
        if subset.empty:
            continue
        rows, chosen = fc.forecast_series(subset, season)
        paths.append(rows)
        choices.update(chosen)
    forecasts = pd.concat(paths, ignore_index=True) if paths else pd.DataFrame()
    bounds = _bounds(catalogue)
    by_series = dict(tuple(forecasts.groupby("unique_id"))) if len(forecasts) else {}
    frames = []
    for row in summary.itertuples(index=False):
        steps = by_series.get(row.unique_id)
        choice = choices.get(row.unique_id)
        frames.append(_series_rows(row, choice, steps, bounds.get(row.kpi_code), as_of_date))
    result = pd.concat(frames, ignore_index=True)
    return result[COLUMNS]


def _grains_by_season() -> dict[int, list[str]]:
    grouped: dict[int, list[str]] = {}
    for grain, season in fc.SEASON.items():
        grouped.setdefault(season, []).append(grain)
    return grouped


def _bounds(catalogue: pd.DataFrame) -> dict[str, tuple[float | None, float | None]]:
    def number(value: object) -> float | None:
        return None if value is None or pd.isna(value) or value == "" else float(value)

    return {
        str(row.kpi_code): (number(row.min_value), number(row.max_value))
        for row in catalogue.itertuples(index=False)
    }


def _series_rows(
    row: object,
    choice: fc.Choice | None,
    steps: pd.DataFrame | None,
    bounds: tuple[float | None, float | None] | None,
    as_of_date: dt.date,
) -> pd.DataFrame:
    months = fc.GRAIN_MONTHS[row.period_grain]
    last = pd.Timestamp(row.last_complete_period_start)
    if choice is None or steps is None:
        choice = None
        steps = pd.DataFrame({"step": [1], "model": pd.Series([None], dtype=object)})
        for column in ["forecast", "lower_80", "upper_80", "lower_95", "upper_95"]:
            steps[column] = np.array([np.nan])
    else:
        steps = steps.rename(
            columns={
                "lo_80": "lower_80",
                "hi_80": "upper_80",
                "lo_95": "lower_95",
                "hi_95": "upper_95",
            }
        )
        low, high = bounds or (None, None)
        steps = ordered(steps, low, high)
    starts = [fc.add_months(last, months * int(step)) for step in steps["step"]]
    frame = pd.DataFrame(
        {
            "kpi_code": row.kpi_code,
            "segment_type": row.segment_type,
            "segment_value": row.segment_value,
            "period_grain": row.period_grain,
            "horizon": steps["step"].astype(int).to_numpy(),
            "period_start": [start.date() for start in starts],
            "period_end": [
                (fc.add_months(start, months) - pd.Timedelta(days=1)).date() for start in starts
            ],
            "forecast_state": fc.TOO_SHORT if choice is None else fc.FORECAST,
            "model": steps["model"].to_numpy(),
            "beats_naive": None if choice is None else choice.beats_naive,
            **{
                column: steps[column].to_numpy(dtype=float)
                for column in ["forecast", "lower_80", "upper_80", "lower_95", "upper_95"]
            },
            "unit": row.unit,
            "history_periods": int(row.history_periods),
            "last_complete_period_start": last.date(),
            "last_value": float(row.last_value),
        }
    )
    frame["is_in_progress"] = [
        start <= as_of_date <= end
        for start, end in zip(frame["period_start"], frame["period_end"], strict=True)
    ]
    for column, value in _choice_columns(choice).items():
        frame[column] = value
    return frame


def ordered(steps: pd.DataFrame, low: float | None, high: float | None) -> pd.DataFrame:
    """lower_95 <= lower_80 <= forecast <= upper_80 <= upper_95, within the KPI's bounds."""
    steps = steps.copy()
    columns = ["lower_95", "lower_80", "forecast", "upper_80", "upper_95"]
    values = np.sort(steps[columns].to_numpy(dtype=float), axis=1)
    if low is not None or high is not None:
        values = np.clip(values, low, high)
    steps[columns] = values
    return steps


def _choice_columns(choice: fc.Choice | None) -> dict[str, object]:
    if choice is None:
        return {
            "backtest_mase": None,
            "backtest_smape": None,
            "naive_mase": None,
            "naive_smape": None,
            "backtest_points": 0,
            "backtest_covered_80": 0,
            "backtest_covered_95": 0,
        }
    return {
        "backtest_mase": choice.mase,
        "backtest_smape": choice.smape,
        "naive_mase": choice.naive_mase,
        "naive_smape": choice.naive_smape,
        "backtest_points": choice.points,
        "backtest_covered_80": choice.covered_80,
        "backtest_covered_95": choice.covered_95,
    }
