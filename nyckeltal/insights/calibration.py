"""Calibrated forecast intervals: each model's 80 % and 95 % intervals scaled by a factor
estimated from the rolling-origin backtest errors (split conformal, pooled over series).

A backtest step's score at a level is how far the actual value fell from the forecast, in
units of the model's interval half-width on that side: |y - f| / (hi - f) above the forecast,
|y - f| / (f - lo) below. The model's intervals would have covered the steps whose score is at
most 1. The factor of a model and level is the conformal quantile of the scores of every
series the model was chosen for: the ceil((n + 1) x level)-th smallest of n scores, so that
the scaled interval f - c (f - lo) .. f + c (hi - f) covers at least that share of exchangeable
new steps. Too few scores (MIN_SCORES) or a quantile beyond them: factor 1, the model's own
interval. Steps whose half-width is 0 (a constant history) cannot be scaled and are left out.

Why pooled per model: a series has at most 9 backtest steps, too few to estimate a 95 %
quantile; the models' miscalibration is shared (Naive's spread is that of the whole history,
whose early months jump; AutoTheta's simulated intervals are too narrow).

The pool: the steps of every series but those of ENGINE_SPECIFIC_SEGMENT_TYPES, which
score_table marks `pooled = false`; factors() reads the pooled steps only, so the published
factors and those of the out-of-sample measure come from the same pool.

The coverage is measured out of sample (held_out_coverage): factors estimated on the earlier
origins (cuts > HELD_OUT_CUTS) of the pooled series, coverage counted on the later ones (cuts
1..HELD_OUT_CUTS: the latest complete periods, steps 1 and 2 ahead) of every series, the ones
outside the pool too (published with the pool's factors). The published intervals use the
factors of every origin.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

LEVELS = (80, 95)
HELD_OUT_CUTS = 2
MIN_SCORES = 20
SCORE_COLUMNS = ["model", "cut", "step", "score_80", "score_95", "pooled"]
# The held-out figures of the steps of the series outside the pool (held_out_coverage).
NOT_POOLED = "not pooled"
# Segment types whose series exist on some engines only (churn_rate by `risk_band`: a dbt
# Python model, DuckDB only). Their backtest scores stay out of the pool, so that every
# engine calibrates the intervals of the series they share with the same factors.
ENGINE_SPECIFIC_SEGMENT_TYPES = ("risk_band",)
# One backtest step's scores: (cut, step, score at 80 %, score at 95 %).
Score = tuple[int, int, float, float]


def step_scores(
    actual: np.ndarray, forecast: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """|actual - forecast| in half-widths of the interval on the actual value's side; 0 where
    the actual value is the forecast, NaN where that half-width is 0 (nothing to scale)."""
    actual, forecast = np.asarray(actual, float), np.asarray(forecast, float)
    width = np.where(actual >= forecast, np.asarray(upper, float) - forecast, forecast - lower)
    distance = np.abs(actual - forecast)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(width > 0, distance / np.where(width > 0, width, 1.0), np.nan)
    return np.where(distance == 0, 0.0, score)


def conformal_factor(scores: Iterable[float], level: int) -> float:
    """The ceil((n + 1) x level / 100)-th smallest of the n finite scores; 1 when there are
    fewer than MIN_SCORES or that rank is beyond them."""
    values = np.sort(np.asarray([s for s in scores if np.isfinite(s)], dtype=float))
    rank = math.ceil((len(values) + 1) * level / 100)
    if len(values) < MIN_SCORES or rank > len(values):
        return 1.0
    return float(values[rank - 1])


def score_table(
    scores_by_series: Mapping[str, tuple[str, Iterable[Score]]], outside_pool: Iterable[str] = ()
) -> pd.DataFrame:
    """One row per backtest step (SCORE_COLUMNS) from {series: (model, its scores)}; the steps
    of the series `outside_pool` are marked `pooled = false`."""
    outside = set(outside_pool)
    rows = [
        (model, *score, key not in outside)
        for key, (model, scores) in scores_by_series.items()
        for score in scores
    ]
    return pd.DataFrame(rows, columns=SCORE_COLUMNS).astype({"pooled": bool})


def factors(table: pd.DataFrame) -> dict[str, dict[int, float]]:
    """The factor per model and level from the pooled steps of `table` (score_table)."""
    pooled = table[table["pooled"]]
    return {
        str(model): {level: conformal_factor(group[f"score_{level}"], level) for level in LEVELS}
        for model, group in pooled.groupby("model", sort=True)
    }


def scaled(rows: pd.DataFrame, by_model: Mapping[str, Mapping[int, float]]) -> pd.DataFrame:
    """Forecast rows (model, forecast, lo_80, hi_80, lo_95, hi_95) with every interval scaled
    around the forecast by its model's factor (1 for a model without one); the 95 % interval
    kept around the 80 % one."""
    rows = rows.copy()
    centre = rows["forecast"].to_numpy(dtype=float)
    for level in LEVELS:
        factor = rows["model"].map(lambda m, lv=level: by_model.get(m, {}).get(lv, 1.0))
        factor = factor.to_numpy(dtype=float)
        lower, upper = f"lo_{level}", f"hi_{level}"
        rows[lower] = centre - factor * (centre - rows[lower].to_numpy(dtype=float))
        rows[upper] = centre + factor * (rows[upper].to_numpy(dtype=float) - centre)
    rows["lo_95"] = np.minimum(rows["lo_95"], rows["lo_80"])
    rows["hi_95"] = np.maximum(rows["hi_95"], rows["hi_80"])
    return rows


def held_out_coverage(table: pd.DataFrame) -> dict[str, dict[str, object]]:
    """Out-of-sample coverage: factors from the pooled steps of cuts > HELD_OUT_CUTS, counted
    on the steps of cuts 1..HELD_OUT_CUTS of every series. Per model, `all` and NOT_POOLED
    (the steps of the series outside the pool, when there are any): the held-out steps, the
    share within the model's own intervals (`raw_<level>`) and within the calibrated ones
    (`<level>`), and per model the factors used."""
    earlier = table[table["cut"] > HELD_OUT_CUTS]
    later = table[table["cut"] <= HELD_OUT_CUTS]
    fitted = factors(earlier)
    report: dict[str, dict[str, object]] = {}
    groups = [("all", later), *later.groupby("model", sort=True)]
    if not later["pooled"].all():
        groups.append((NOT_POOLED, later[~later["pooled"]]))
    for name, group in groups:
        figures: dict[str, object] = {"steps": int(len(group))}
        for level in LEVELS:
            score = group[f"score_{level}"].to_numpy(dtype=float)
            factor = group["model"].map(lambda m, lv=level: fitted.get(m, {}).get(lv, 1.0))
            inside = np.nan_to_num(score, nan=np.inf)  # a zero-width interval missed
            figures[f"raw_{level}"] = _share(inside <= 1.0)
            figures[str(level)] = _share(inside <= factor.to_numpy(dtype=float))
            if name not in ("all", NOT_POOLED):
                figures[f"factor_{level}"] = fitted.get(str(name), {}).get(level, 1.0)
        report[str(name)] = figures
    return report


def _share(inside: np.ndarray) -> float | None:
    return float(inside.mean()) if len(inside) else None


def encode(scores: Iterable[Score]) -> str:
    """A series' scores as text for the stored selection: `cut:step:s80:s95;...` (exact)."""
    return ";".join(f"{c}:{s}:{a!r}:{b!r}" for c, s, a, b in scores)


def decode(text: object) -> tuple[Score, ...]:
    """The scores of encode's text (none for a missing value)."""
    if not isinstance(text, str) or not text:
        return ()
    parts = (item.split(":") for item in text.split(";"))
    return tuple((int(c), int(s), float(a), float(b)) for c, s, a, b in parts)
