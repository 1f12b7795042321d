"""The model chosen per series, stored: the rows of `int_kpi_forecast_selection`.

The rolling-origin backtest (nyckeltal.insights.forecast.select_models) is most of the
forecasts' cost, and its answer only changes when a series' complete periods change. The
selection is therefore stored per series with what it was made on: the latest complete
period, the number of complete periods and a fingerprint of their values (to 9 significant
digits, so that the last bits of a sum taken in another order do not count). A refresh re-uses
it while all three are unchanged (a new day in the month in progress) and backtests the series
that gained a period, whose history was restated, or that are new. The chosen model is then
fitted once on the whole history (forecast.fit_chosen), so the published forecast always
reflects the latest values, and a stored choice gives exactly the rows a fresh backtest gives.

A series that gained one period, its earlier periods unchanged (its stored state is the
series' previous one), is backtested again, but its cuts 2..4 are the cuts 1..3 it had a
period before, fitted on the same values: their stored forecasts (CUTS) are re-used and only
the new cut 1 is fitted (reusable_cuts), with the same result, to the last bit, as a backtest
of every cut.
"""

from __future__ import annotations

import hashlib

import pandas as pd

from nyckeltal.insights import calibration as cal
from nyckeltal.insights import forecast as fc

CHOICE_COLUMNS = {
    "model": "model",
    "beats_naive": "beats_naive",
    "backtest_mase": "mase",
    "backtest_smape": "smape",
    "naive_mase": "naive_mase",
    "naive_smape": "naive_smape",
    "backtest_points": "points",
    "backtest_covered_80": "covered_80",
    "backtest_covered_95": "covered_95",
}
# The backtest columns' types, for the dbt Python models' projections.
BACKTEST_PROJECTION = (
    "cast(backtest_mase as double) as backtest_mase, "
    "cast(backtest_smape as double) as backtest_smape, "
    "cast(naive_mase as double) as naive_mase, "
    "cast(naive_smape as double) as naive_smape, "
    "cast(backtest_points as integer) as backtest_points, "
    "cast(backtest_covered_80 as integer) as backtest_covered_80, "
    "cast(backtest_covered_95 as integer) as backtest_covered_95"
)
# The chosen model's backtest steps and their interval scores (calibration.encode): the
# published intervals are calibrated on the scores of every series (forecast_paths).
SCORES = "backtest_interval_scores"
SCORES_PROJECTION = f"cast({SCORES} as varchar) as {SCORES}"
# Every candidate's forecasts of the backtest cuts the next period's backtest re-uses
# (encode_cuts): a period on, the cut k + 1 of a series whose earlier periods are unchanged is
# its cut k now, and is not fitted again (reusable_cuts).
CUTS = "backtest_cut_forecasts"
STATE = ["last_complete_period_start", "history_periods", "history_fingerprint"]
COLUMNS = [*fc.SERIES_KEY, *STATE, *CHOICE_COLUMNS, SCORES, CUTS]
# The table's columns and types (int_kpi_forecast_selection).
PROJECTION = (
    f"{fc.KEY_PROJECTION}, "
    "cast(last_complete_period_start as date) as last_complete_period_start, "
    "cast(history_periods as integer) as history_periods, "
    "cast(history_fingerprint as varchar) as history_fingerprint, "
    "cast(model as varchar) as model, "
    "cast(beats_naive as boolean) as beats_naive, "
    f"{BACKTEST_PROJECTION}, {SCORES_PROJECTION}, cast({CUTS} as varchar) as {CUTS}"
)


def series_summary(series: pd.DataFrame) -> pd.DataFrame:
    """One row per series of series_frame: its key, unit, history_periods,
    last_complete_period_start, history_fingerprint and last_value; and the state of the
    series a period before (previous_period_start, previous_fingerprint)."""
    return (
        series.groupby("unique_id", sort=True)
        .agg(
            **{column: (column, "first") for column in [*fc.SERIES_KEY, "unit"]},
            history_periods=("position", "max"),
            last_complete_period_start=("period_start", "max"),
            history_fingerprint=("value", fingerprint),
            last_value=("reported_value", "last"),
            previous_period_start=("period_start", lambda starts: starts.iloc[:-1].max()),
            previous_fingerprint=("value", lambda values: fingerprint(values.iloc[:-1])),
        )
        .reset_index()
    )


def fingerprint(values: pd.Series) -> str:
    """A digest of a series' values in time order, each to fc.SIGNIFICANT_DIGITS digits."""
    text = ";".join(f"{value:.{fc.SIGNIFICANT_DIGITS}g}" for value in values)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def grains_by_season() -> dict[int, list[str]]:
    grouped: dict[int, list[str]] = {}
    for grain, season in fc.SEASON.items():
        grouped.setdefault(season, []).append(grain)
    return grouped


def stored_choices(summary: pd.DataFrame, stored: pd.DataFrame | None) -> dict[str, fc.Choice]:
    """The stored choices (rows of COLUMNS) still valid for the series of `summary`: same
    latest complete period, number of complete periods and fingerprint of their values."""
    if stored is None or stored.empty or not set(COLUMNS) <= set(stored.columns):
        return {}  # also a selection stored before a column was added: backtested again
    stored = stored.assign(
        unique_id=fc.series_id(stored),
        last_complete_period_start=pd.to_datetime(stored["last_complete_period_start"]),
        history_periods=stored["history_periods"].astype(int),
    )
    current = summary[["unique_id", *STATE]].astype({"history_periods": int})
    valid = stored.merge(current, on=["unique_id", *STATE], how="inner")
    return {row["unique_id"]: _choice(row) for row in valid.to_dict("records")}


def reusable_cuts(summary: pd.DataFrame, stored: pd.DataFrame | None) -> pd.DataFrame | None:
    """The stored backtest forecasts of the series of `summary` that are one complete period
    on from their stored row, with their earlier periods unchanged (the stored state is the
    series' previous one): each cut k as the cut k + 1 now (forecast.select_models' `reused`)."""
    if stored is None or stored.empty or not set(COLUMNS) <= set(stored.columns):
        return None
    stored = stored.assign(
        unique_id=fc.series_id(stored),
        last_complete_period_start=pd.to_datetime(stored["last_complete_period_start"]),
        history_periods=stored["history_periods"].astype(int),
    )
    previous = summary.assign(
        last_complete_period_start=summary["previous_period_start"],
        history_periods=summary["history_periods"].astype(int) - 1,
        history_fingerprint=summary["previous_fingerprint"],
    )
    valid = stored.merge(previous[["unique_id", *STATE]], on=["unique_id", *STATE], how="inner")
    frames = [
        decode_cuts(key, text, shift=1)
        for key, text in zip(valid["unique_id"], valid[CUTS], strict=True)
    ]
    return pd.concat(frames, ignore_index=True) if frames else None


def select(
    series: pd.DataFrame, summary: pd.DataFrame, stored: pd.DataFrame | None = None
) -> dict[str, fc.Choice]:
    """The choice of every long-enough series of series_frame: stored where still valid, by
    the backtest otherwise (re-using the stored forecasts of the cuts a period on)."""
    choices = stored_choices(summary, stored)
    reused = reusable_cuts(summary[~summary["unique_id"].isin(list(choices))], stored)
    pending = series[~series["unique_id"].isin(list(choices))]
    for season, grains in grains_by_season().items():
        subset = pending[pending["period_grain"].isin(grains)]
        if not subset.empty:
            choices.update(fc.select_models(subset, season, reused))
    return choices


def model_selection(scorecard: pd.DataFrame, stored: pd.DataFrame | None = None) -> pd.DataFrame:
    """The rows of int_kpi_forecast_selection (COLUMNS): one per series with a forecast,
    re-using the `stored` rows (the table's previous state) that are still valid."""
    series = fc.series_frame(scorecard)
    if series.empty:
        return pd.DataFrame(columns=COLUMNS)
    summary = series_summary(series)
    choices = select(series, summary, stored)
    rows = summary[summary["unique_id"].isin(list(choices))].reset_index(drop=True)
    if rows.empty:  # no series long enough to forecast (a small or new company)
        return pd.DataFrame(columns=COLUMNS)
    backtest = pd.DataFrame([choice_columns(choices[key]) for key in rows["unique_id"]])
    rows = pd.concat([rows, backtest], axis=1)
    rows[SCORES] = [cal.encode(choices[key].scores) for key in rows["unique_id"]]
    rows[CUTS] = [encode_cuts(choices[key].cut_forecasts) for key in rows["unique_id"]]
    rows["last_complete_period_start"] = rows["last_complete_period_start"].dt.date
    return rows[COLUMNS].reset_index(drop=True)


def choice_columns(choice: fc.Choice | None) -> dict[str, object]:
    """The backtest columns of one series (a too-short series: no backtest)."""
    if choice is None:
        empty = {column: None for column in CHOICE_COLUMNS}
        return {**empty, "backtest_points": 0, "backtest_covered_80": 0, "backtest_covered_95": 0}
    return {column: getattr(choice, field) for column, field in CHOICE_COLUMNS.items()}


def _choice(row: dict[str, object]) -> fc.Choice:
    def number(value: object) -> float | None:
        return None if value is None or pd.isna(value) else float(value)

    return fc.Choice(
        model=str(row["model"]),
        beats_naive=bool(row["beats_naive"]),
        mase=number(row["backtest_mase"]),
        smape=number(row["backtest_smape"]),
        naive_mase=number(row["naive_mase"]),
        naive_smape=number(row["naive_smape"]),
        points=int(row["backtest_points"]),
        covered_80=int(row["backtest_covered_80"]),
        covered_95=int(row["backtest_covered_95"]),
        scores=cal.decode(row[SCORES]),
        cut_forecasts=_decode_rows(row[CUTS]),
    )


def encode_cuts(rows: tuple[tuple[float, ...], ...]) -> str:
    """A Choice's cut_forecasts as text: `cut:ds:value:...;...`, each number as repr (exact)."""
    return ";".join(":".join(map(repr, row)) for row in rows)


def _decode_rows(text: object) -> tuple[tuple[float, ...], ...]:
    if not isinstance(text, str) or not text:
        return ()
    return tuple(tuple(map(float, item.split(":"))) for item in text.split(";"))


def decode_cuts(key: str, text: object, shift: int = 0) -> pd.DataFrame:
    """The backtest forecast rows (unique_id `<key><CUT><cut + shift>`, ds,
    forecast.BACKTEST_COLUMNS) of encode_cuts' text."""
    rows = _decode_rows(text)
    frame = pd.DataFrame(
        [row[1:] for row in rows], columns=["ds", *fc.BACKTEST_COLUMNS], dtype=float
    )
    frame.insert(0, "unique_id", [f"{key}{fc.CUT}{int(row[0]) + shift}" for row in rows])
    return frame.astype({"ds": "int64"})
