"""Calibrated forecast intervals (nyckeltal/insights/calibration.py, docs/insights.md): the
interval scores of backtest steps, the conformal factor, the scaled intervals, the held-out
coverage, and on small synthetic series the published intervals scaled by their model's
factor."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from scorecard_series import CATALOGUE, scorecard_series

from nyckeltal.insights import accuracy
from nyckeltal.insights import calibration as cal
from nyckeltal.insights import forecast as fc
from nyckeltal.insights import selection as sel
from nyckeltal.insights.forecast_paths import forecast_paths, interval_factors


def test_a_score_is_the_miss_in_half_widths_of_the_interval_on_its_side() -> None:
    scores = cal.step_scores(
        actual=np.array([12.0, 7.0, 10.0, 11.0]),
        forecast=np.array([10.0, 10.0, 10.0, 10.0]),
        lower=np.array([8.0, 8.0, 8.0, 10.0]),
        upper=np.array([11.0, 11.0, 11.0, 10.0]),
    )
    assert scores[:3].tolist() == [2.0, 1.5, 0.0]
    assert math.isnan(scores[3])  # a zero-width interval cannot be scaled


def test_the_factor_is_the_conformal_quantile_of_the_scores() -> None:
    scores = [k / 20 for k in range(1, 21)]  # 0.05 .. 1.00
    # n = 20: the ceil(21 x 0.8) = 17th and ceil(21 x 0.95) = 20th smallest
    assert cal.conformal_factor(scores, 80) == pytest.approx(0.85)
    assert cal.conformal_factor(scores, 95) == pytest.approx(1.0)
    assert cal.conformal_factor([*scores, float("nan")], 80) == pytest.approx(0.85)
    assert cal.conformal_factor(scores[:19], 80) == 1.0  # fewer than MIN_SCORES: own interval


def test_intervals_are_scaled_around_the_forecast_and_stay_nested() -> None:
    rows = pd.DataFrame(
        {
            "model": ["Naive", "AutoETS", "AutoTheta"],
            "forecast": [10.0, 10.0, 10.0],
            "lo_80": [8.0, 8.0, 8.0],
            "hi_80": [11.0, 11.0, 11.0],
            "lo_95": [6.0, 6.0, 6.0],
            "hi_95": [13.0, 13.0, 13.0],
        }
    )
    factors = {"Naive": {80: 0.5, 95: 2.0}, "AutoETS": {80: 3.0, 95: 0.5}}
    out = cal.scaled(rows, factors)
    assert out.iloc[0][["lo_80", "hi_80", "lo_95", "hi_95"]].tolist() == [9.0, 10.5, 2.0, 16.0]
    # 80 % scaled beyond the 95 %: the 95 % interval is kept around it
    assert out.iloc[1][["lo_80", "hi_80", "lo_95", "hi_95"]].tolist() == [4.0, 13.0, 4.0, 13.0]
    assert out.iloc[2][["lo_80", "hi_80", "lo_95", "hi_95"]].tolist() == [8.0, 11.0, 6.0, 13.0]


def test_coverage_is_measured_on_origins_the_factors_did_not_see() -> None:
    earlier = [(3 + k % 2, 1, k / 20, k / 20) for k in range(1, 21)]  # factors 0.85 and 1.0
    later = [(1, 1, 0.1, 0.1), (1, 1, 0.5, 0.5), (2, 1, 0.9, 0.9), (2, 2, 1.2, 1.2)]
    later.append((2, 1, 0.8, float("nan")))  # outside a zero-width 95 % interval
    table = cal.score_table({"a": ("Naive", earlier), "b": ("Naive", later)})
    held_out = cal.held_out_coverage(table)
    naive = held_out["Naive"]
    assert naive["steps"] == 5
    assert (naive["factor_80"], naive["factor_95"]) == (pytest.approx(0.85), 1.0)
    assert (naive["raw_80"], naive["80"]) == (pytest.approx(4 / 5), pytest.approx(3 / 5))
    assert (naive["raw_95"], naive["95"]) == (pytest.approx(3 / 5), pytest.approx(3 / 5))
    assert held_out["all"]["80"] == pytest.approx(3 / 5)
    assert cal.decode(cal.encode(later))[4][:3] == (2, 1, 0.8)
    assert math.isnan(cal.decode(cal.encode(later))[4][3])


def _turbulent_then_calm() -> pd.DataFrame:
    """12 monthly random walks around 50 whose steps shrink tenfold after 14 months: the
    models' intervals, fitted on the whole history, are far too wide for the calm months."""
    rng = np.random.default_rng(7)
    frames = []
    for index in range(12):
        steps = np.concatenate([rng.normal(0, 2.0, 14), rng.normal(0, 0.2, 12)])
        frames.append(scorecard_series(list(50 + np.cumsum(steps)), segment=("plan", f"p{index}")))
    return pd.concat(frames, ignore_index=True)


def test_published_intervals_are_the_models_own_scaled_by_their_backtest() -> None:
    scorecard = _turbulent_then_calm()
    selection = sel.model_selection(scorecard)
    series = fc.series_frame(scorecard)
    choices = sel.select(series, sel.series_summary(series), selection)
    assert sorted(c.model for c in choices.values()).count("Naive") == 4
    factors = interval_factors(choices)
    # Naive's 4 series x 9 steps = 36 scores: its intervals shrink to a fifth
    assert factors["Naive"][80] == pytest.approx(0.20242, abs=1e-5)
    assert factors["Naive"][95] == pytest.approx(0.20769, abs=1e-5)
    assert factors["AutoTheta"] == {80: 1.0, 95: 1.0}  # 2 series, 18 scores: too few
    paths = forecast_paths(scorecard, CATALOGUE, dt.date(2024, 3, 15), selection)
    published = paths[paths["horizon"] == 1].reset_index(drop=True)
    own = fc.fit_chosen(series, 12, choices)
    own = own[own["step"] == 1].reset_index(drop=True)
    for level in (80, 95):
        ratio = (published[f"upper_{level}"] - published["forecast"]) / (
            own[f"hi_{level}"] - own["forecast"]
        )
        expected = own["model"].map(lambda model, lv=level: factors[model][lv])
        np.testing.assert_allclose(ratio.to_numpy(), expected.to_numpy(), rtol=1e-9)
    # Out of sample: Naive's own 80 % intervals covered all 12 held-out steps, the calibrated
    # ones 10 (factors from the two earlier origins only).
    figures = accuracy.calibration_figures(selection)
    assert figures["held_out"]["Naive"]["steps"] == 12
    assert figures["held_out"]["Naive"]["raw_80"] == 1.0
    assert figures["held_out"]["Naive"]["80"] == pytest.approx(10 / 12)
    assert figures["coverage_80"] == pytest.approx(34 / 36)


def test_forecast_accuracy_measures_the_intervals_the_refresh_publishes() -> None:
    """The accuracy figures calibrate on the refresh's pool (the DuckDB-only risk_band series
    outside it) and count the held-out steps of every published series: were risk_band pooled,
    the factors would differ from the published ones."""
    rng = np.random.default_rng(11)
    bands = [
        scorecard_series(list(50 + np.cumsum(rng.normal(0, 3.0, 26))), segment=("risk_band", b))
        for b in ("low", "medium", "high", "very_high")
    ]
    scorecard = pd.concat([_turbulent_then_calm(), *bands], ignore_index=True)
    selection = sel.model_selection(scorecard)
    series = fc.series_frame(scorecard)
    choices = sel.select(series, sel.series_summary(series), selection)
    published = interval_factors(choices)
    figures = accuracy.calibration_figures(selection)
    assert figures["interval_factors"] == {
        model: {str(level): factor for level, factor in by_level.items()}
        for model, by_level in published.items()
    }
    everything = cal.factors(
        cal.score_table({key: (c.model, c.scores) for key, c in choices.items()})
    )
    assert everything != published
    # 4 risk_band series x 3 held-out steps (cut 1: step 1; cut 2: steps 1 and 2)
    assert figures["held_out"][cal.NOT_POOLED]["steps"] == 12
    assert figures["held_out"]["all"]["steps"] == 16 * 3
    # a risk_band series' published interval: its model's own, scaled by the pool's factor
    band = next(key for key in choices if "risk_band" in key)
    model = choices[band].model
    paths = forecast_paths(scorecard, CATALOGUE, dt.date(2024, 3, 15), selection)
    row = paths[(paths["segment_value"] == fc.series_key(band)["segment_value"])].iloc[0]
    own = fc.fit_chosen(series[series["unique_id"] == band], 12, choices).iloc[0]
    ratio = (row["upper_80"] - row["forecast"]) / (own["hi_80"] - own["forecast"])
    assert ratio == pytest.approx(figures["interval_factors"][model]["80"], rel=1e-9)


def test_the_accuracy_table_shows_coverage_before_and_after_calibration() -> None:
    held_out = {
        "Naive": {
            "steps": 4,
            "raw_80": 1.0,
            "80": 0.75,
            "raw_95": 1.0,
            "95": 1.0,
            "factor_80": 0.4,
            "factor_95": 0.6,
        },
        "all": {"steps": 4, "raw_80": 1.0, "80": 0.75, "raw_95": 1.0, "95": 1.0},
    }
    figures = {
        "series": 2,
        "series_forecast": 1,
        "series_too_short": 1,
        "share_beating_naive": 0.0,
        "median_mase": 0.5,
        "median_naive_mase": 0.5,
        "backtest_points": 9,
        "raw_coverage_80": 8 / 9,
        "raw_coverage_95": 1.0,
        "coverage_80": 0.75,
        "coverage_95": 1.0,
        "held_out": held_out,
        "interval_factors": {"Naive": {"80": 0.35, "95": 0.7}},
        "seconds": {phase: {"cpu": 1.0, "wall": 2.0} for phase in ("import", "backtest", "fit")},
    }
    text = accuracy.markdown({"s": figures, "demo": figures}, "x")
    assert "| 89 % / 100 % | 75 % / 100 % | 9 |" in text
    assert text.index("| demo | all | 4 |") < text.index("| demo | Naive | 4 |")
    assert text.index("| demo | Naive |") < text.index("| s | all |")
    assert "| demo | Naive | 4 | 100 % / 100 % | 75 % / 100 % | 0.40 / 0.60 | 0.35 / 0.70 |" in text
