"""Constructed scorecard series for the foresight tests: a KPI's monthly rows as
marts.kpi_scorecard holds them, and the catalogue columns the forecasts read."""

from __future__ import annotations

import datetime as dt

import pandas as pd

CATALOGUE = pd.DataFrame(
    {
        "kpi_code": ["churn_rate", "cpl"],
        "direction": ["lower_is_better", "lower_is_better"],
        "min_value": [0.0, 0.0],
        "max_value": [100.0, None],
    }
)


def _month_end(start: dt.date) -> dt.date:
    return (pd.Timestamp(start) + pd.DateOffset(months=1) - pd.Timedelta(days=1)).date()


def scorecard_series(
    values: list[float],
    kpi_code: str = "churn_rate",
    segment: tuple[str, str] = ("total", "all"),
    start: dt.date = dt.date(2022, 1, 1),
    target: float | None = 2.0,
    in_progress_value: float | None = None,
) -> pd.DataFrame:
    """A monthly scorecard series: the values as complete months, then (optionally) an
    in-progress month."""
    rows = []
    months = [
        (pd.Timestamp(start) + pd.DateOffset(months=i)).date() for i in range(len(values) + 1)
    ]
    for index, month in enumerate(months):
        complete = index < len(values)
        if not complete and in_progress_value is None:
            break
        value = values[index] if complete else in_progress_value
        rows.append(
            {
                "kpi_code": kpi_code,
                "period_start": month,
                "period_end": _month_end(month),
                "period_grain": "month",
                "segment_type": segment[0],
                "segment_value": segment[1],
                "numerator": value * 10,
                "denominator": 1000.0,
                "value": value,
                "unit": "percent",
                "target_value": target,
                "is_complete_period": complete,
                "is_suppressed": False,
            }
        )
    return pd.DataFrame(rows)
