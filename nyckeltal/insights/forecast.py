"""KPI forecasts: a model chosen per scorecard series by a rolling-origin backtest.

A series is one kpi_code x segment_type x segment_value x period_grain of marts.kpi_scorecard,
its complete, non-suppressed periods with a value, in time order. Series of a regular grain
(month, ttm, quarter, year) are forecast; campaign windows and survey waves are not (one row
per campaign, irregular waves).

Candidates (statsforecast): AutoETS (non-seasonal: the seasonal ETS models cost six times as
much on series of two or three years, for little), AutoTheta (seasonal, its own test),
SeasonalNaive (only when the training history holds at least two full seasons), Naive, and
the combination: the mean of AutoETS, AutoTheta (and SeasonalNaive when it is a candidate),
its interval bounds the mean of theirs.

Backtest: for each series, origins 1..K (K = min(BACKTEST_ORIGINS, periods - MIN_TRAINING)):
the series cut k periods before its end is forecast, steps 1..min(k, BACKTEST_HORIZON)
compared with the actual values. MASE = mean absolute error / the mean absolute seasonal
difference of the training periods before the first origin (the non-seasonal difference when
those periods hold fewer than two seasons); sMAPE = mean of 200 |y - f| / (|y| + |f|).
The model with the lowest backtest error is chosen; when it does not beat Naive strictly, the
series gets Naive's forecast and `beats_naive` false. The chosen model's backtest steps keep
their interval scores, from which its published intervals are calibrated (calibration.py).

Cost: the selection is ONE StatsForecast call per season length over every backtest cut of
every series (stacked, n_jobs=1, BACKTEST_HORIZON steps ahead); the forecast then fits each
series' chosen model only (one call per season length and chosen model, fit_chosen). A refresh
that finds a series' selection stored for the same complete periods
(nyckeltal.insights.selection) skips its backtest; a period on, it re-uses the stored
forecasts of the cuts the series had then (Choice.cut_forecasts) and fits its new cut 1 only.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from nyckeltal.insights.calibration import step_scores

SEASON = {"month": 12, "ttm": 12, "quarter": 4, "year": 1}
GRAIN_MONTHS = {"month": 1, "ttm": 1, "quarter": 3, "year": 12}
SERIES_KEY = ["kpi_code", "segment_type", "segment_value", "period_grain"]
# The series key's types, for the projections of the forecast tables (their dbt Python
# models on DuckDB, nyckeltal.insights.foresight elsewhere).
KEY_PROJECTION = ", ".join(f"cast({column} as varchar) as {column}" for column in SERIES_KEY)
MIN_TRAINING = 6
BACKTEST_ORIGINS = 4
BACKTEST_HORIZON = 3
# The in-progress period and the next three are published; the outlook reads up to a year.
PUBLISHED_HORIZON = 4
HORIZON = 12
# The values the models see (and the selection's fingerprint) are rounded to this many
# significant digits: see significant().
SIGNIFICANT_DIGITS = 9
LEVELS = (80, 95)
MODELS = ("AutoETS", "AutoTheta", "SeasonalNaive", "Naive")
COMBINATION = "Combination"
NAIVE = "Naive"
FORECAST = "forecast"
TOO_SHORT = "too_short"
_SEPARATOR = "\x1f"
CUT = "\x1e"
_BANDS = [f"{side}-{level}" for level in LEVELS for side in ("lo", "hi")]
# The candidates' columns of run_models' output a backtest needs (the Combination is computed
# from its members: whether SeasonalNaive is one depends on the series' length).
BACKTEST_COLUMNS = [
    f"{model}{suffix}" for model in MODELS for suffix in ("", *(f"-{b}" for b in _BANDS))
]


def min_periods() -> int:
    """Complete periods a series needs: MIN_TRAINING to fit plus two backtest origins."""
    return MIN_TRAINING + 2


def training_length(periods: int | np.ndarray) -> int | np.ndarray:
    """Periods before a series' first backtest origin (the MASE scale's history)."""
    return periods - np.minimum(BACKTEST_ORIGINS, periods - MIN_TRAINING)


def seasonal_candidate(periods: int | np.ndarray, season: int) -> bool | np.ndarray:
    """SeasonalNaive competes when the history before the first origin holds two seasons."""
    return (season > 1) & (training_length(periods) >= 2 * season)


@dataclass(frozen=True)
class Choice:
    """The model chosen for one series and its backtest."""

    model: str
    beats_naive: bool
    mase: float | None
    smape: float | None
    naive_mase: float | None
    naive_smape: float | None
    points: int
    covered_80: int
    covered_95: int
    # The chosen model's backtest steps (cut, step, score at 80 %, at 95 %): calibration.py.
    scores: tuple[tuple[int, int, float, float], ...] = ()
    # Every candidate's forecasts of the cuts the backtest a period later re-uses (cut <
    # BACKTEST_ORIGINS), one row (cut, ds, *values of BACKTEST_COLUMNS) per cut and step.
    cut_forecasts: tuple[tuple[float, ...], ...] = ()


# --------------------------------------------------------------------------- series


def series_frame(scorecard: pd.DataFrame) -> pd.DataFrame:
    """The forecastable rows of the scorecard: complete, not suppressed, with a value, of a
    regular grain; with `unique_id` (the series key), `position` (1..n in time order),
    `reported_value` (the scorecard's value) and `value` (to SIGNIFICANT_DIGITS digits, see
    significant())."""
    rows = scorecard[
        scorecard["is_complete_period"].astype(bool)
        & ~scorecard["is_suppressed"].astype(bool)
        & scorecard["value"].notna()
        & scorecard["period_grain"].isin(list(SEASON))
    ].copy()
    rows["period_start"] = pd.to_datetime(rows["period_start"])
    rows["unique_id"] = series_id(rows)
    rows = rows.sort_values(["unique_id", "period_start"], kind="stable")
    rows["position"] = rows.groupby("unique_id").cumcount() + 1
    rows["reported_value"] = rows["value"].astype(float)
    rows["value"] = rows["reported_value"].map(significant)
    return rows.reset_index(drop=True)


def significant(value: float) -> float:
    """`value` to SIGNIFICANT_DIGITS significant digits: what the models see. A KPI value is a
    sum over rows, whose last bits depend on the order DuckDB adds them in (parallel
    aggregation, rows appended by an incremental refresh); fitted on the raw doubles, two
    builds of the same data could choose or fit a model differently."""
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


def significant_values(values: np.ndarray) -> np.ndarray:
    """Backtest forecasts to SIGNIFICANT_DIGITS significant digits (NaN and 0 as they are).
    A model's forecast of the same values can differ in its last bits with the other series
    of its StatsForecast call (AutoTheta's point forecasts, measured on the demo: up to 4e-15
    relative), and a cut re-used a period on (selection.reusable_cuts) must score as the same
    cut fitted afresh."""
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = np.floor(np.log10(np.abs(values)))
        scale = 10.0 ** (SIGNIFICANT_DIGITS - 1 - exponent)
        rounded = np.round(values * scale) / scale
    return np.where(np.isfinite(rounded), rounded, values)


def series_id(rows: pd.DataFrame) -> pd.Series:
    parts = [rows[column].astype(str) for column in SERIES_KEY]
    key = parts[0]
    for part in parts[1:]:
        key = key + _SEPARATOR + part
    return key


def series_key(unique_id: str) -> dict[str, str]:
    """The SERIES_KEY columns of a series_id."""
    return dict(zip(SERIES_KEY, unique_id.split(_SEPARATOR), strict=True))


# --------------------------------------------------------------------------- statsforecast


def stacked_cuts(series: pd.DataFrame) -> pd.DataFrame:
    """The backtest cuts of every series (unique_id, ds, y): the series without its last k
    periods, k = 1..K, as `<unique_id><CUT><k>`."""
    frames = []
    lengths = series.groupby("unique_id")["position"].max()
    for cut in range(1, BACKTEST_ORIGINS + 1):
        keep = lengths[lengths - cut >= MIN_TRAINING]
        if keep.empty:
            break
        rows = series[series["unique_id"].isin(keep.index)]
        rows = rows[rows["position"] <= rows["unique_id"].map(keep) - cut]
        rows = rows[["unique_id", "position", "value"]].copy()
        rows["unique_id"] = rows["unique_id"] + f"{CUT}{cut}"
        frames.append(rows)
    return _as_statsforecast_input(pd.concat(frames, ignore_index=True))


def _as_statsforecast_input(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[["unique_id", "position", "value"]].rename(columns={"position": "ds", "value": "y"})


def run_models(
    stacked: pd.DataFrame, season: int, horizon: int = HORIZON, names: tuple[str, ...] = MODELS
) -> pd.DataFrame:
    """One StatsForecast call of the models `names` over every (cut) series: columns
    unique_id, ds and per model its point forecast and <model>-lo-80 ... <model>-hi-95."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, AutoTheta, Naive, SeasonalNaive

    every = {
        # Non-seasonal ETS: the seasonal ETS models cost six times as much on these short
        # series; seasonality is AutoTheta's (it deseasonalises) and SeasonalNaive's.
        "AutoETS": lambda: AutoETS(season_length=1),
        "AutoTheta": lambda: AutoTheta(season_length=season),
        "SeasonalNaive": lambda: SeasonalNaive(season_length=season),
        "Naive": Naive,
    }
    models = [every[name]() for name in MODELS if name in names]
    forecaster = StatsForecast(models=models, freq=1, n_jobs=1, fallback_model=Naive())
    frame = stacked.astype({"ds": "int64", "y": "float64"})
    with warnings.catch_warnings():
        # SeasonalNaive on a series shorter than a season: NaN, and never a candidate there.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        forecast = forecaster.forecast(df=frame, h=horizon, level=list(LEVELS))
    forecast = forecast.reset_index() if "unique_id" not in forecast.columns else forecast
    return bands_in_order(forecast, [model.alias for model in models])


def bands_in_order(forecast: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    """Put each model's interval bounds back in order: lo-95 <= lo-80, hi-80 <= hi-95.

    statsforecast (2.1) stacks the bounds of every series in the column order of the first
    series' result, and AutoETS's results do not all list their bounds in the same order: in a
    call over many series some series got their 95 % lower bound labelled 80 % and the other
    way round (measured: 108 of 7,188 monthly and 168 of 336 quarterly backtest rows at scale
    s). The true bounds are nested, so sorting each pair restores the labels."""
    forecast = forecast.copy()
    pairs = (("lo", np.maximum, np.minimum), ("hi", np.minimum, np.maximum))
    for model in models:
        for side, inner, outer in pairs:
            narrow, wide = f"{model}-{side}-80", f"{model}-{side}-95"
            first, second = forecast[narrow].to_numpy(), forecast[wide].to_numpy()
            forecast[narrow], forecast[wide] = inner(first, second), outer(first, second)
    return forecast


def with_combination(forecast: pd.DataFrame, seasonal: pd.Series) -> pd.DataFrame:
    """Add the Combination columns: the mean of AutoETS and AutoTheta, and of SeasonalNaive
    where `seasonal` (by row) says it is a candidate."""
    forecast = forecast.copy()
    members = ["AutoETS", "AutoTheta"]
    weight = 2 + seasonal.astype(float).to_numpy()
    for suffix in ["", *[f"-{band}" for band in _BANDS]]:
        total = sum(forecast[f"{member}{suffix}"].to_numpy() for member in members)
        extra = np.where(seasonal.to_numpy(), forecast[f"SeasonalNaive{suffix}"].to_numpy(), 0.0)
        forecast[f"{COMBINATION}{suffix}"] = (total + extra) / weight
    return forecast


# --------------------------------------------------------------------------- backtest


def mase_scale(values: np.ndarray, season: int) -> float:
    """Mean absolute seasonal difference of `values` (non-seasonal when they hold fewer than
    two seasons); nan when it is 0 (a constant series)."""
    lag = season if season > 1 and len(values) >= 2 * season else 1
    if len(values) <= lag:
        return float("nan")
    scale = float(np.mean(np.abs(values[lag:] - values[:-lag])))
    return scale if scale > 0 else float("nan")


def smape(actual: np.ndarray, predicted: np.ndarray) -> float:
    denominator = np.abs(actual) + np.abs(predicted)
    terms = np.where(
        denominator > 0,
        200 * np.abs(actual - predicted) / np.where(denominator > 0, denominator, 1.0),
        0.0,
    )
    return float(np.mean(terms))


def backtest_errors(series: pd.DataFrame, forecast: pd.DataFrame) -> pd.DataFrame:
    """One row per series, cut and step: the actual value and every model's forecast."""
    cuts = forecast[forecast["unique_id"].str.contains(CUT, regex=False)].copy()
    if cuts.empty:
        return cuts.assign(series_id=pd.Series(dtype=str), cut=pd.Series(dtype=int))
    split = cuts["unique_id"].str.split(CUT, n=1, expand=True)
    cuts["series_id"] = split[0]
    cuts["cut"] = split[1].astype(int)
    cuts["step"] = cuts.groupby("unique_id").cumcount() + 1
    cuts = cuts[(cuts["step"] <= BACKTEST_HORIZON) & (cuts["step"] <= cuts["cut"])]
    actual = series[["unique_id", "position", "value"]].rename(
        columns={"unique_id": "series_id", "value": "actual"}
    )
    return cuts.merge(
        actual, left_on=["series_id", "ds"], right_on=["series_id", "position"], how="inner"
    )


def choose(errors: pd.DataFrame, candidates: list[str], scale: float) -> Choice:
    """The candidate with the lowest backtest mean absolute error (ranked as MASE, since the
    scale is the series'); Naive when none beats it strictly."""
    actual = errors["actual"].to_numpy(dtype=float)

    def mean_error(model: str) -> float:
        return float(np.mean(np.abs(actual - errors[model].to_numpy(dtype=float))))

    scores = {model: mean_error(model) for model in candidates}
    best = min(candidates, key=lambda model: (scores[model], candidates.index(model)))
    beats = best != NAIVE and scores[best] < scores[NAIVE]
    model = best if beats else NAIVE

    def mase(value: float) -> float | None:
        return None if np.isnan(scale) else value / scale

    lower80, upper80 = errors[f"{model}-lo-80"], errors[f"{model}-hi-80"]
    lower95, upper95 = errors[f"{model}-lo-95"], errors[f"{model}-hi-95"]
    return Choice(
        model=model,
        beats_naive=bool(beats),
        mase=mase(scores[model]),
        smape=smape(actual, errors[model].to_numpy(dtype=float)),
        naive_mase=mase(scores[NAIVE]),
        naive_smape=smape(actual, errors[NAIVE].to_numpy(dtype=float)),
        points=len(errors),
        covered_80=int(((actual >= lower80) & (actual <= upper80)).sum()),
        covered_95=int(((actual >= lower95) & (actual <= upper95)).sum()),
        scores=_scores(errors, model),
    )


def _scores(errors: pd.DataFrame, model: str) -> tuple[tuple[int, int, float, float], ...]:
    """The model's backtest steps with their interval scores (calibration.step_scores)."""
    actual = errors["actual"].to_numpy(dtype=float)
    predicted = errors[model].to_numpy(dtype=float)
    by_level = [
        step_scores(actual, predicted, errors[f"{model}-lo-{level}"], errors[f"{model}-hi-{level}"])
        for level in LEVELS
    ]
    return tuple(
        (int(cut), int(step), float(a), float(b))
        for cut, step, a, b in zip(errors["cut"], errors["step"], *by_level, strict=True)
    )


# --------------------------------------------------------------------------- the forecasts


def long_enough(series: pd.DataFrame) -> pd.DataFrame:
    """The rows of the series with at least min_periods() complete periods."""
    lengths = series.groupby("unique_id")["position"].max()
    return series[series["unique_id"].isin(lengths[lengths >= min_periods()].index)]


def select_models(
    series: pd.DataFrame, season: int, reused: pd.DataFrame | None = None
) -> dict[str, Choice]:
    """The backtest of every series of `series` (from series_frame, one season length, long
    enough): the choice per series. `reused`: forecasts of backtest cuts (run_models' rows:
    unique_id `<series><CUT><cut>`, ds, BACKTEST_COLUMNS) made before on the same values
    (selection.reusable_cuts), not fitted again."""
    series = long_enough(series)
    if series.empty:
        return {}
    lengths = series.groupby("unique_id")["position"].max()
    cuts = stacked_cuts(series)
    frames = []
    if reused is not None and not reused.empty:
        reused = reused[reused["unique_id"].isin(set(cuts["unique_id"]))]
        cuts = cuts[~cuts["unique_id"].isin(set(reused["unique_id"]))]
        frames.append(reused[["unique_id", "ds", *BACKTEST_COLUMNS]])
    if not cuts.empty:
        fresh = run_models(cuts, season, BACKTEST_HORIZON)
        fresh[BACKTEST_COLUMNS] = significant_values(fresh[BACKTEST_COLUMNS].to_numpy(float))
        frames.append(fresh)
    # In the same order whichever cuts were re-used: the errors are summed in this order.
    forecast = pd.concat(frames, ignore_index=True).sort_values(["unique_id", "ds"], kind="stable")
    forecast = forecast.reset_index(drop=True)
    base_id = forecast["unique_id"].str.split(CUT, n=1).str[0]
    kept = {key: _kept(rows) for key, rows in forecast.groupby(base_id)}
    seasonal_ok = seasonal_candidate(lengths.reindex(base_id).to_numpy(), season)
    forecast = with_combination(forecast, pd.Series(seasonal_ok, index=forecast.index))
    errors = backtest_errors(series, forecast)
    choices: dict[str, Choice] = {}
    values = {key: group["value"].to_numpy() for key, group in series.groupby("unique_id")}
    for key, group in errors.groupby("series_id"):
        seasonal = bool(seasonal_candidate(int(lengths[key]), season))
        candidates = ["AutoETS", "AutoTheta", *(["SeasonalNaive"] if seasonal else [])]
        candidates += [NAIVE, COMBINATION]
        scale = mase_scale(values[key][: int(training_length(int(lengths[key])))], season)
        choices[key] = replace(choose(group, candidates, scale), cut_forecasts=kept[key])
    return choices


def _kept(forecast: pd.DataFrame) -> tuple[tuple[float, ...], ...]:
    """One series' backtest forecasts of the cuts a later backtest can re-use (Choice)."""
    cut = forecast["unique_id"].str.rsplit(CUT, n=1).str[1].astype(int).to_numpy()
    values = forecast[["ds", *BACKTEST_COLUMNS]].to_numpy(dtype=float)
    return tuple(
        (float(c), *map(float, row))
        for c, row in zip(cut, values, strict=True)
        if c < BACKTEST_ORIGINS
    )


def fit_chosen(
    series: pd.DataFrame, season: int, choices: dict[str, Choice], horizon: int = HORIZON
) -> pd.DataFrame:
    """Forecast every series of `series` that has a choice `horizon` periods ahead with its
    chosen model only (the Combination: with its members): rows (unique_id, step, model,
    forecast, lo_80, hi_80, lo_95, hi_95)."""
    series = series[series["unique_id"].isin(list(choices))]
    chosen = series["unique_id"].map({key: choice.model for key, choice in choices.items()})
    lengths = series.groupby("unique_id")["position"].max()
    rows = []
    for model, subset in series.groupby(chosen, sort=True):
        names = MODELS[:3] if model == COMBINATION else (model,)
        forecast = run_models(_as_statsforecast_input(subset), season, horizon, names)
        if model == COMBINATION:
            seasonal = seasonal_candidate(lengths.reindex(forecast["unique_id"]).to_numpy(), season)
            forecast = with_combination(forecast, pd.Series(seasonal, index=forecast.index))
        forecast["step"] = forecast.groupby("unique_id").cumcount() + 1
        rows.append(
            pd.DataFrame(
                {
                    "unique_id": forecast["unique_id"].to_numpy(),
                    "step": forecast["step"].to_numpy(),
                    "model": model,
                    "forecast": forecast[model].to_numpy(dtype=float),
                    **{
                        band.replace("-", "_"): forecast[f"{model}-{band}"].to_numpy(dtype=float)
                        for band in _BANDS
                    },
                }
            )
        )
    if not rows:
        return pd.DataFrame(columns=["unique_id", "step", "model", *_columns()])
    return pd.concat(rows, ignore_index=True).sort_values(["unique_id", "step"], kind="stable")


def forecast_series(
    series: pd.DataFrame, season: int, horizon: int = HORIZON
) -> tuple[pd.DataFrame, dict[str, Choice]]:
    """Forecast every series of `series` (from series_frame, one season length) `horizon`
    periods ahead with its chosen model (select_models, then fit_chosen). Returns the rows
    (unique_id, step, model, forecast, lo_80, hi_80, lo_95, hi_95) and the choice per
    series."""
    choices = select_models(series, season)
    return fit_chosen(series, season, choices, horizon), choices


def _columns() -> list[str]:
    return ["forecast", *[band.replace("-", "_") for band in _BANDS]]


def add_months(moment: pd.Timestamp, months: int) -> pd.Timestamp:
    return moment + pd.DateOffset(months=months)
