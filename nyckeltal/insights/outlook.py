"""Target outlook: the probability that a period ends on target, from the forecast's
distribution (docs/insights.md).

For every scorecard series with a target (the scorecard's target_value of its latest row) and a
forecast path (nyckeltal.insights.forecast_paths):
- `period`: the series' next period (horizon 1: the one in progress on the as-of date, when it
  has started). A forecast period's value is taken as normal with the forecast as mean and the
  standard deviation implied by its 95 % interval. For KPIs whose measures accrue over the
  period (PACE), the in-progress period combines the pace so far with the forecast for the
  rest: with w the share of the period's days elapsed,
  - ratio of two accruing sums (spend / leads): end value = w x value so far + (1 - w) x forecast;
  - an accruing sum over a level (revenue / FTE): end value = value so far + (1 - w) x forecast;
  the forecast's spread scaled by (1 - w).
- `quarter` and `year` (monthly series): the calendar quarter / year holding that period,
  pooled as the semantic layer pools it: the mean of its months' values weighted by their
  denominators (complete months as they are, the others the forecast weighted by the latest
  complete denominator), months taken as independent (an optimistic spread).
probability_on_target = P(value >= target) (higher_is_better) or P(value <= target).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

Z95 = 1.959963984540054
LIKELY = 0.7
UNLIKELY = 0.35
# How the in-progress period's value so far extends to the end of the period.
RATIO_OF_ACCRUING = "ratio_of_accruing"
ACCRUING_OVER_LEVEL = "accruing_over_level"
PACE = {
    "cpl": RATIO_OF_ACCRUING,
    "cost_per_mql": RATIO_OF_ACCRUING,
    "cac": RATIO_OF_ACCRUING,
    "cac_paid": RATIO_OF_ACCRUING,
    "revenue_per_employee": ACCRUING_OVER_LEVEL,
}
COLUMNS = [
    "kpi_code",
    "segment_type",
    "segment_value",
    "period_grain",
    "outlook_period",
    "period_start",
    "period_end",
    "target_value",
    "direction",
    "expected_value",
    "expected_sd",
    "probability_on_target",
    "method",
    "value_so_far",
    "elapsed_share",
    "outlook_state",
    "impact_score",
    "outlook_text",
]


@dataclass(frozen=True)
class Estimate:
    mean: float
    sd: float


def probability_on_target(estimate: Estimate, target: float, direction: str) -> float:
    """P(value ends on target) for a normal estimate; the boundary counts as on target."""
    if estimate.sd <= 0 or not math.isfinite(estimate.sd):
        above = estimate.mean >= target if direction == "higher_is_better" else False
        below = estimate.mean <= target if direction != "higher_is_better" else False
        return 1.0 if (above or below) else 0.0
    z = (target - estimate.mean) / estimate.sd
    below_target = 0.5 * (1 + math.erf(z / math.sqrt(2)))
    return 1 - below_target if direction == "higher_is_better" else below_target


def forecast_estimate(row: pd.Series) -> Estimate:
    sd = (float(row["upper_95"]) - float(row["lower_95"])) / (2 * Z95)
    return Estimate(float(row["forecast"]), max(sd, 0.0))


def paced(forecast: Estimate, so_far: float | None, elapsed: float, kind: str | None) -> Estimate:
    """The in-progress period's end value from the pace so far and the forecast for the rest."""
    if kind is None or so_far is None or not math.isfinite(so_far) or elapsed <= 0:
        return forecast
    rest = 1 - elapsed
    if kind == RATIO_OF_ACCRUING:
        return Estimate(elapsed * so_far + rest * forecast.mean, rest * forecast.sd)
    return Estimate(so_far + rest * forecast.mean, rest * forecast.sd)


def pooled(estimates: list[Estimate], weights: list[float]) -> Estimate:
    """The weighted mean of independent estimates (equal weights when some are missing)."""
    array = np.asarray(weights, dtype=float)
    if not np.all(np.isfinite(array)) or array.sum() <= 0:
        array = np.ones(len(estimates))
    array = array / array.sum()
    mean = float(sum(w * e.mean for w, e in zip(array, estimates, strict=True)))
    sd = float(math.sqrt(sum((w * e.sd) ** 2 for w, e in zip(array, estimates, strict=True))))
    return Estimate(mean, sd)


def elapsed_share(start: dt.date, end: dt.date, as_of_date: dt.date) -> float:
    """Share of the period's days up to and including the as-of date (0 before it starts)."""
    days = (end - start).days + 1
    done = (min(as_of_date, end) - start).days + 1
    return min(max(done / days, 0.0), 1.0)


def state_of(probability: float | None) -> str:
    if probability is None:
        return "too_short"
    if probability >= LIKELY:
        return "likely_on_target"
    if probability < UNLIKELY:
        return "likely_to_miss"
    return "uncertain"


def period_label(outlook_period: str, start: dt.date) -> str:
    if outlook_period == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    if outlook_period == "year":
        return str(start.year)
    return start.strftime("%B %Y")


def sentence(state: str, outlook_period: str, start: dt.date, probability: float | None) -> str:
    """'likely to miss the Q4 2026 target: 23 % chance of ending on target'."""
    label = period_label(outlook_period, start)
    if probability is None:
        return f"no outlook for the {label} target: too short a history to forecast"
    words = {
        "likely_on_target": "likely to make",
        "likely_to_miss": "likely to miss",
        "uncertain": "could make or miss",
    }[state]
    return f"{words} the {label} target: {100 * probability:.0f} % chance of ending on target"
