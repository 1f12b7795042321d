"""The rows of `int_kpi_target_outlook_computed` (marts.kpi_target_outlook): one per series
with a target and outlook period (nyckeltal.insights.outlook for the arithmetic)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from nyckeltal.insights import forecast as fc
from nyckeltal.insights import outlook as ol

_KEY = ["kpi_code", "segment_type", "segment_value", "period_grain"]
# The table's columns and types (int_kpi_target_outlook_computed).
PROJECTION = (
    f"{fc.KEY_PROJECTION}, "
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


def as_of_date_of(window: pd.DataFrame) -> dt.date:
    """The as-of date of int_reporting_window's frame (a date or a timestamp)."""
    value = window["as_of_date"].iloc[0]
    return value.date() if hasattr(value, "date") else value


def target_outlook(
    paths: pd.DataFrame, scorecard: pd.DataFrame, catalogue: pd.DataFrame, as_of_date: dt.date
) -> pd.DataFrame:
    """Every series of `paths` with a target: its period outlook, and for a monthly series
    the quarter's and the year's."""
    if paths.empty:
        return pd.DataFrame(columns=ol.COLUMNS)
    scorecard = scorecard.copy()
    scorecard["period_start"] = pd.to_datetime(scorecard["period_start"]).dt.date
    scorecard["period_end"] = pd.to_datetime(scorecard["period_end"]).dt.date
    paths = paths.copy()
    paths["period_start"] = pd.to_datetime(paths["period_start"]).dt.date
    paths["period_end"] = pd.to_datetime(paths["period_end"]).dt.date
    directions = dict(zip(catalogue["kpi_code"], catalogue["direction"], strict=True))
    history = {key: rows for key, rows in scorecard.groupby(_KEY, sort=False)}
    rows: list[dict[str, Any]] = []
    for key, path in paths.groupby(_KEY, sort=True):
        series = history.get(key)
        if series is None:
            continue
        targeted = series[series["target_value"].notna()].sort_values("period_start")
        if targeted.empty:
            continue
        target = float(targeted["target_value"].iloc[-1])
        direction = directions.get(key[0], "higher_is_better")
        context = _Series(key, path.sort_values("horizon"), series, target, direction, as_of_date)
        rows.append(context.period_row())
        if key[3] == "month":
            rows += [
                row for row in (context.pooled_row("quarter"), context.pooled_row("year")) if row
            ]
    return pd.DataFrame(rows, columns=ol.COLUMNS)


class _Series:
    def __init__(
        self,
        key: tuple,
        path: pd.DataFrame,
        series: pd.DataFrame,
        target: float,
        direction: str,
        as_of_date: dt.date,
    ) -> None:
        self.key = key
        self.path = path
        self.series = series
        self.target = target
        self.direction = direction
        self.as_of_date = as_of_date
        self.first = path.iloc[0]
        self.too_short = self.first["forecast_state"] == fc.TOO_SHORT

    def _row(self, outlook_period: str, start: dt.date, end: dt.date, **values: Any) -> dict:
        estimate: ol.Estimate | None = values.pop("estimate", None)
        probability = (
            None
            if estimate is None
            else ol.probability_on_target(estimate, self.target, self.direction)
        )
        state = ol.state_of(probability)
        gap = None if estimate is None else estimate.mean - self.target
        if gap is not None and self.direction == "higher_is_better":
            gap = -gap
        impact = None
        if probability is not None and gap is not None:
            impact = (1 - probability) * max(gap, 0.0) / max(abs(self.target), 1e-9)
        return {
            **dict(zip(_KEY, self.key, strict=True)),
            "outlook_period": outlook_period,
            "period_start": start,
            "period_end": end,
            "target_value": self.target,
            "direction": self.direction,
            "expected_value": None if estimate is None else estimate.mean,
            "expected_sd": None if estimate is None else estimate.sd,
            "probability_on_target": probability,
            "method": values.get("method", "too_short" if estimate is None else "forecast"),
            "value_so_far": values.get("value_so_far"),
            "elapsed_share": values.get("elapsed_share"),
            "outlook_state": state,
            "impact_score": impact,
            "outlook_text": ol.sentence(state, outlook_period, start, probability),
        }

    def _so_far(self, start: dt.date) -> float | None:
        rows = self.series[(self.series["period_start"] == start) & self.series["value"].notna()]
        return None if rows.empty else float(rows["value"].iloc[0])

    def _in_progress_estimate(self, step: pd.Series) -> tuple[ol.Estimate, dict[str, Any]]:
        estimate = ol.forecast_estimate(step)
        kind = ol.PACE.get(self.key[0])
        if not bool(step["is_in_progress"]) or kind is None:
            return estimate, {"method": "forecast"}
        elapsed = ol.elapsed_share(step["period_start"], step["period_end"], self.as_of_date)
        so_far = self._so_far(step["period_start"])
        if so_far is None:
            return estimate, {"method": "forecast", "elapsed_share": elapsed}
        return ol.paced(estimate, so_far, elapsed, kind), {
            "method": "pace_and_forecast",
            "value_so_far": so_far,
            "elapsed_share": elapsed,
        }

    def period_row(self) -> dict:
        start, end = self.first["period_start"], self.first["period_end"]
        if self.too_short:
            return self._row("period", start, end)
        estimate, extra = self._in_progress_estimate(self.first)
        return self._row("period", start, end, estimate=estimate, **extra)

    def pooled_row(self, outlook_period: str) -> dict | None:
        start = self.first["period_start"]
        months = 3 if outlook_period == "quarter" else 12
        first_month = (start.month - 1) // months * months + 1
        begin = dt.date(start.year, first_month, 1)
        finish = (pd.Timestamp(begin) + pd.DateOffset(months=months) - pd.Timedelta(days=1)).date()
        if self.too_short:
            return self._row(outlook_period, begin, finish)
        complete = self.series[self.series["is_complete_period"].astype(bool)]
        complete = complete[complete["value"].notna()].sort_values("period_start")
        latest_weight = complete["denominator"].iloc[-1] if len(complete) else float("nan")
        estimates, weights = [], []
        for offset in range(months):
            month = (pd.Timestamp(begin) + pd.DateOffset(months=offset)).date()
            known = complete[complete["period_start"] == month]
            step = self.path[self.path["period_start"] == month]
            if not known.empty:
                estimates.append(ol.Estimate(float(known["value"].iloc[0]), 0.0))
                weights.append(known["denominator"].iloc[0])
            elif not step.empty:
                estimate, _ = self._in_progress_estimate(step.iloc[0])
                estimates.append(estimate)
                weights.append(latest_weight)
            else:
                return None  # a month neither known nor forecast (a gap in the history)
        weights = [float("nan") if pd.isna(weight) else float(weight) for weight in weights]
        return self._row(
            outlook_period, begin, finish, estimate=ol.pooled(estimates, weights), method="forecast"
        )
