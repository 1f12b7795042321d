"""`nyckeltal forecast-accuracy`: how good and how cheap the KPI forecasts are on a warehouse.

Re-runs the forecasts on the warehouse's scorecard, each phase timed (importing statsforecast,
the backtest selecting every series' model, the fit of the chosen models), and summarises their
rolling-origin backtest: the share of series whose chosen model beats Naive on MASE, the median
MASE of the chosen model and of Naive, and the empirical coverage of the 80 % and 95 %
intervals: of the models' own intervals over all backtest steps (the figure before the
intervals were calibrated), and out of sample, on the held-out latest origins, of the models'
own and of the calibrated intervals (nyckeltal.insights.calibration.held_out_coverage), per
model too. The same functions as the refresh's, on the same inputs: the models see each value
to 9 significant digits (forecast.series_frame) and the intervals are calibrated on the
refresh's pool (forecast_paths.calibration_table: every series but the DuckDB-only risk_band
ones, whose held-out steps are counted, also apart, as `not pooled`). Writes one section per
label into a Markdown file and a JSON file beside it (benchmarks/).
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from nyckeltal.insights import calibration as cal
from nyckeltal.insights import forecast as fc
from nyckeltal.insights.forecast_paths import calibration_table, forecast_paths
from nyckeltal.insights.selection import SCORES, model_selection


def read_inputs(warehouse: Path) -> tuple[pd.DataFrame, pd.DataFrame, dt.date]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        connection.execute("set enable_progress_bar = false")
        scorecard = connection.execute("select * from marts.kpi_scorecard").df()
        catalogue = connection.execute("select * from seeds.kpi_catalogue").df()
        as_of = connection.execute(
            "select as_of_date from intermediate.int_reporting_window"
        ).fetchone()[0]
    return scorecard, catalogue, as_of


def summarise(paths: pd.DataFrame) -> dict[str, Any]:
    """The accuracy figures of forecast paths (one row per series: horizon 1)."""
    series = paths[paths["horizon"] == 1]
    forecast = series[series["forecast_state"] == "forecast"]
    points = int(forecast["backtest_points"].sum())
    beats = forecast["beats_naive"].astype(bool)
    mase = forecast["backtest_mase"].dropna()
    return {
        "series": int(len(series)),
        "series_forecast": int(len(forecast)),
        "series_too_short": int((series["forecast_state"] == "too_short").sum()),
        "share_beating_naive": float(beats.mean()) if len(forecast) else None,
        "median_mase": float(mase.median()) if len(mase) else None,
        "median_naive_mase": float(forecast["naive_mase"].dropna().median()) if len(mase) else None,
        "raw_coverage_80": _ratio(forecast["backtest_covered_80"].sum(), points),
        "raw_coverage_95": _ratio(forecast["backtest_covered_95"].sum(), points),
        "backtest_points": points,
        "models": {str(k): int(v) for k, v in forecast["model"].value_counts().items()},
    }


def _ratio(part: float, whole: int) -> float | None:
    return float(part / whole) if whole else None


def calibration_figures(selection: pd.DataFrame) -> dict[str, Any]:
    """The out-of-sample coverage of the calibrated intervals (`coverage_80`, `coverage_95`),
    the held-out figures per model and the published factors, from the stored selection:
    calibrated on the refresh's pool (forecast_paths.calibration_table), counted on every
    series the refresh publishes on DuckDB."""
    table = calibration_table(
        {
            key: (str(model), cal.decode(scores))
            for key, model, scores in zip(
                fc.series_id(selection), selection["model"], selection[SCORES], strict=True
            )
        }
    )
    held_out = cal.held_out_coverage(table)
    return {
        "coverage_80": held_out["all"]["80"],
        "coverage_95": held_out["all"]["95"],
        "held_out": held_out,
        "interval_factors": {
            m: {str(k): v for k, v in f.items()} for m, f in cal.factors(table).items()
        },
    }


def _timed(work: Callable[[], Any]) -> tuple[Any, dict[str, float]]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    seconds = {
        "wall": round(time.perf_counter() - wall, 1),
        "cpu": round(time.process_time() - cpu, 1),
    }
    return result, seconds


def previous_scorecard(scorecard: pd.DataFrame) -> pd.DataFrame:
    """The scorecard without every series' latest forecastable period: the state a period
    before, its earlier periods unchanged (every grain at once, as on the 1st of January)."""
    rows = fc.series_frame(scorecard.reset_index(drop=True).rename_axis("row").reset_index())
    latest = rows["position"] == rows.groupby("unique_id")["position"].transform("max")
    return scorecard.reset_index(drop=True).drop(index=rows.loc[latest, "row"].to_numpy())


def measure(warehouse: Path) -> dict[str, Any]:
    """The accuracy figures and the cost of the phases a refresh pays: importing
    statsforecast, the backtest of every series (the first refresh, `--full-refresh`), the
    backtest a period on (the refresh after a period completes: the selection of the period
    before stored, previous_scorecard), the fit of the chosen models with the selection
    stored (every refresh). `period_on_equal`: whether the selection a period on is the one
    of the backtest of every series (exactly)."""
    scorecard, catalogue, as_of = read_inputs(warehouse)
    _, imports = _timed(lambda: importlib.import_module("statsforecast.models"))
    selection, backtest = _timed(lambda: model_selection(scorecard))
    before = model_selection(previous_scorecard(scorecard))
    period_on, backtest_period_on = _timed(lambda: model_selection(scorecard, before))
    paths, fit = _timed(lambda: forecast_paths(scorecard, catalogue, as_of, selection))
    return {
        **summarise(paths),
        **calibration_figures(selection),
        "period_on_equal": bool(period_on.equals(selection)),
        "seconds": {
            "import": imports,
            "backtest": backtest,
            "backtest_period_on": backtest_period_on,
            "fit": fit,
        },
        "load_average": round(os.getloadavg()[0], 1),
        "as_of_date": str(as_of),
    }


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f} %"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _cost(seconds: dict[str, dict[str, float]], phases: tuple[str, ...]) -> str:
    if not set(phases) <= set(seconds):  # measured before the phase was
        return "n/a"
    cpu = sum(seconds[phase]["cpu"] for phase in phases)
    wall = sum(seconds[phase]["wall"] for phase in phases)
    return f"{cpu:.1f} ({wall:.1f})"


def _pair(first: float | None, second: float | None) -> str:
    return f"{_percent(first)} / {_percent(second)}"


_HEADER = [
    "# KPI forecast accuracy and cost",
    "",
    "Written by `nyckeltal forecast-accuracy` (nyckeltal/insights/accuracy.py): the rolling-",
    "origin backtest of marts.kpi_forecasts (docs/insights.md#kpi-forecasts) on a refreshed",
    "warehouse, and what the forecasts add to a refresh (n_jobs=1), in CPU seconds (wall",
    "seconds in brackets): importing statsforecast, the backtest of every series (the first",
    "refresh, `--full-refresh`), the backtest a period on (the refresh after a period",
    "completes: every series one period longer, the selection of the period before stored,",
    "the cuts it fitted re-used) and the fit of the chosen models (every refresh; a refresh",
    "in the same period re-uses the stored selection: import + fit).",
    "The load average (1 minute, at the end) says how busy the shared machine was: wall",
    "time grows with it, CPU time much less.",
    "Coverage, 80 % / 95 %: *own* is the models' own intervals over every backtest step (what",
    "was published before the intervals were calibrated); *calibrated, held out* is the",
    "published, calibrated intervals on the steps of the latest two origins, with the",
    "calibration factors estimated on the earlier origins only (out of sample;",
    "nyckeltal/insights/calibration.py), from the refresh's pool (every series but the",
    "DuckDB-only risk_band ones), counted on every series DuckDB publishes.",
]


def markdown(results: dict[str, dict[str, Any]], machine: str) -> str:
    lines = [
        *_HEADER,
        f"Machine: {machine}.",
        "",
        "| scale | series | forecast | too short | beat Naive | median MASE | median Naive MASE "
        "| coverage, own | coverage, calibrated, held out | backtest steps | import "
        "| backtest, every series | backtest, a period on | fit | refresh, first "
        "| refresh, new period | refresh, same period | load average |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, r in _in_order(results):
        seconds = r["seconds"]
        lines.append(
            f"| {label} | {r['series']} | {r['series_forecast']} | {r['series_too_short']} | "
            f"{_percent(r['share_beating_naive'])} | {_number(r['median_mase'])} | "
            f"{_number(r['median_naive_mase'])} | "
            f"{_pair(r.get('raw_coverage_80'), r.get('raw_coverage_95'))} | "
            f"{_pair(r.get('coverage_80'), r.get('coverage_95'))} | {r['backtest_points']} | "
            f"{_cost(seconds, ('import',))} | {_cost(seconds, ('backtest',))} | "
            f"{_cost(seconds, ('backtest_period_on',))} | {_cost(seconds, ('fit',))} | "
            f"{_cost(seconds, ('import', 'backtest', 'fit'))} | "
            f"{_cost(seconds, ('import', 'backtest_period_on', 'fit'))} | "
            f"{_cost(seconds, ('import', 'fit'))} | {r.get('load_average', 'n/a')} |"
        )
    return "\n".join([*lines, *_by_model(results)]) + "\n"


def _in_order(results: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """The labels in the order of the scales (demo, s, m, l), others after, by name."""
    scales = ["demo", "s", "m", "l"]
    rank = {name: index for index, name in enumerate(scales)}
    return sorted(results.items(), key=lambda item: (rank.get(item[0], len(scales)), item[0]))


def _by_model(results: dict[str, dict[str, Any]]) -> list[str]:
    """The held-out coverage per scale and model, with the factors estimated before them and
    those published (every origin)."""
    lines = [
        "",
        "Held out, per model: the steps of the latest two origins, the share within the model's",
        "own intervals and within the calibrated ones (factors from the earlier origins), and the",
        "factors of the published intervals (from every origin); *not pooled*: the held-out",
        "steps of the series outside the calibration pool (risk_band, DuckDB only).",
        "",
        "| scale | model | held-out steps | own 80 % / 95 % | calibrated 80 % / 95 % "
        "| factor 80 % / 95 %, earlier origins | published factor 80 % / 95 % |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, r in _in_order(results):
        published = r.get("interval_factors", {})
        held_out = r.get("held_out", {})
        for model in sorted(held_out, key=lambda name: (name != "all", name)):
            f = held_out[model]
            factors = published.get(model, {})
            lines.append(
                f"| {label} | {model} | {f['steps']} | {_pair(f['raw_80'], f['raw_95'])} | "
                f"{_pair(f['80'], f['95'])} | "
                f"{_number(f.get('factor_80'))} / {_number(f.get('factor_95'))} | "
                f"{_number(factors.get('80'))} / {_number(factors.get('95'))} |"
            )
    return lines


def run(warehouse: Path, label: str, out: Path) -> dict[str, Any]:
    """Measure `warehouse`, store it under `label` in out (.md) and its .json, keeping the
    other labels."""
    result = measure(warehouse)
    store = out.with_suffix(".json")
    results = json.loads(store.read_text()) if store.exists() else {}
    results[label] = result
    machine = f"{platform.machine()}, {os.cpu_count()} cores, shared with other work"
    out.parent.mkdir(parents=True, exist_ok=True)
    store.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    out.write_text(markdown(results, machine))
    return result
