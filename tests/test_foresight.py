"""Foresight (docs/insights.md): model selection, intervals, the too-short state, the target
outlook's probability on constructed series, and on the demo warehouse the three marts with
the change decomposition exact on every row."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import numpy as np
import pandas as pd
import pytest
from scorecard_series import CATALOGUE, scorecard_series

from nyckeltal.insights import accuracy
from nyckeltal.insights import forecast as fc
from nyckeltal.insights import outlook as ol
from nyckeltal.insights import selection as sel
from nyckeltal.insights.forecast_paths import forecast_paths
from nyckeltal.insights.outlook_rows import target_outlook
from nyckeltal.insights.selection import model_selection

# --------------------------------------------------------------------------- model selection


def _errors(actual: list[float], **models: list[float]) -> pd.DataFrame:
    """Backtest errors of one series: one origin (cut 1), steps 1..n."""
    frame = pd.DataFrame({"cut": 1, "step": range(1, len(actual) + 1), "actual": actual})
    for name, predicted in models.items():
        frame[name] = predicted
        for level in fc.LEVELS:
            frame[f"{name}-lo-{level}"] = np.asarray(predicted) - 1
            frame[f"{name}-hi-{level}"] = np.asarray(predicted) + 1
    return frame


def test_naive_is_kept_when_no_model_beats_it() -> None:
    errors = _errors(
        [1.0, 2.0, 3.0],
        AutoETS=[1.5, 2.5, 3.5],  # MAE 0.5
        AutoTheta=[1.2, 2.2, 3.2],  # MAE 0.2, a tie with Naive: not strictly better
        Naive=[1.2, 1.8, 3.2],  # MAE 0.2
        Combination=[1.35, 2.35, 3.35],
    )
    choice = fc.choose(errors, ["AutoETS", "AutoTheta", "Naive", "Combination"], scale=0.5)
    assert choice.model == "Naive"
    assert choice.beats_naive is False
    assert choice.mase == pytest.approx(0.4)
    assert choice.naive_mase == pytest.approx(0.4)
    assert choice.points == 3
    assert choice.covered_80 == 3


def test_the_model_with_the_lowest_backtest_error_wins() -> None:
    errors = _errors(
        [1.0, 2.0, 3.0],
        AutoETS=[1.0, 2.0, 3.1],  # MAE 0.0333
        AutoTheta=[1.2, 2.2, 3.2],
        Naive=[0.0, 1.0, 2.0],  # MAE 1
        Combination=[1.1, 2.1, 3.15],
    )
    choice = fc.choose(errors, ["AutoETS", "AutoTheta", "Naive", "Combination"], scale=2.0)
    assert (choice.model, choice.beats_naive) == ("AutoETS", True)
    assert choice.mase == pytest.approx(0.1 / 3 / 2)
    assert choice.naive_mase == pytest.approx(0.5)
    assert choice.smape == pytest.approx(np.mean([0, 0, 200 * 0.1 / 6.1]))


def test_a_series_of_lasting_level_shifts_gets_the_naive_forecast() -> None:
    """Levels that jump and then hold: nothing beats carrying the last value forward."""
    values = [10.0] * 3 + [20.0] * 3 + [5.0] * 3 + [15.0] * 3 + [8.0] * 3 + [25.0] * 3
    values += [12.0] * 3 + [30.0] * 3
    series = fc.series_frame(scorecard_series(values))
    rows, choices = fc.forecast_series(series, season=12)
    (choice,) = choices.values()
    assert choice.model == "Naive" and choice.beats_naive is False
    assert rows["forecast"].iloc[0] == pytest.approx(values[-1])


def test_a_seasonal_series_beats_naive() -> None:
    pattern = [2.0, 2.2, 2.6, 3.0, 3.4, 3.1, 2.7, 2.3, 2.0, 1.8, 1.7, 1.9]
    values = [pattern[i % 12] + 0.05 * ((i * 7) % 5) for i in range(48)]
    series = fc.series_frame(scorecard_series(values))
    _, choices = fc.forecast_series(series, season=12)
    (choice,) = choices.values()
    assert choice.beats_naive is True
    assert choice.model != "Naive"
    assert choice.mase < choice.naive_mase


def test_mase_scale_is_non_seasonal_when_the_history_is_short() -> None:
    values = np.array([1.0, 3.0, 2.0, 4.0])
    assert fc.mase_scale(values, 12) == pytest.approx((2 + 1 + 2) / 3)
    assert math.isnan(fc.mase_scale(np.array([2.0, 2.0, 2.0]), 1))


def test_interval_bounds_are_put_back_in_order() -> None:
    """statsforecast labels some series' 95 % lower bound as the 80 % one (bands_in_order)."""
    forecast = pd.DataFrame(
        {
            "Naive": [5.0, 5.0],
            "Naive-lo-80": [3.0, 3.0],  # the second row's lower bounds are swapped
            "Naive-lo-95": [2.0, 4.0],
            "Naive-hi-80": [7.0, 6.0],
            "Naive-hi-95": [8.0, 7.0],
        }
    )
    fixed = fc.bands_in_order(forecast, ["Naive"])
    assert list(fixed["Naive-lo-95"]) == [2.0, 3.0]
    assert list(fixed["Naive-lo-80"]) == [3.0, 4.0]
    assert list(fixed["Naive-hi-95"]) == [8.0, 7.0]


# --------------------------------------------------------------------------- stored selection


def test_a_stored_selection_is_reused_until_a_period_completes() -> None:
    values = [0.3, 0.1, 0.6, 0.2, 0.0, 0.4, 0.1, 0.5, 0.2, 0.3, 0.1, 0.4, 0.2, 0.0]
    scorecard = scorecard_series(values)
    stored = model_selection(scorecard)
    assert len(stored) == 1 and stored["history_periods"].iloc[0] == 14
    assert stored["last_complete_period_start"].iloc[0] == dt.date(2023, 2, 1)
    # Fitting with the stored selection gives exactly the forecast that selects afresh.
    fresh = forecast_paths(scorecard, CATALOGUE, dt.date(2023, 3, 15))
    pd.testing.assert_frame_equal(
        forecast_paths(scorecard, CATALOGUE, dt.date(2023, 3, 15), stored), fresh
    )
    # The same latest complete period: the stored choice is used as it is, without a backtest.
    marked = stored.assign(model="SeasonalNaive", backtest_points=99)
    reused = forecast_paths(scorecard, CATALOGUE, dt.date(2023, 3, 20), marked)
    assert set(reused["model"]) == {"SeasonalNaive"}
    assert set(reused["backtest_points"]) == {99}
    assert model_selection(scorecard, marked)["backtest_points"].iloc[0] == 99
    # A restated complete period (same latest period, another value): backtested again.
    restated = model_selection(scorecard_series([0.35, *values[1:]]), marked)
    assert restated["backtest_points"].iloc[0] == 1 + 2 + 3 + 3
    # One more complete month: the series is backtested again.
    longer = scorecard_series([*values, 0.3])
    again = model_selection(longer, marked)
    assert again["backtest_points"].iloc[0] == 1 + 2 + 3 + 3
    assert again["history_periods"].iloc[0] == 15
    assert again["model"].iloc[0] == model_selection(longer)["model"].iloc[0]


def test_a_period_on_the_backtest_fits_the_new_cut_only() -> None:
    """The refresh after a period completes re-uses the stored forecasts of the cuts a period
    before (cut k then is cut k + 1 now) and gives the same selection, to the last bit, as a
    backtest of every cut."""
    values = [0.3, 0.1, 0.6, 0.2, 0.0, 0.4, 0.1, 0.5, 0.2, 0.3, 0.1, 0.4, 0.2, 0.0]
    stored = model_selection(scorecard_series(values))
    longer = scorecard_series([*values, 0.3])
    series = fc.series_frame(longer)
    summary = sel.series_summary(series)
    reused = sel.reusable_cuts(summary, stored)
    # the 14 months' cuts 1..3 are the 15 months' cuts 2..4, three steps each (positions)
    cuts = reused["unique_id"].str.rsplit(fc.CUT, n=1).str[1].astype(int)
    assert list(zip(cuts, reused["ds"], strict=True)) == [
        (2, 14),
        (2, 15),
        (2, 16),
        (3, 13),
        (3, 14),
        (3, 15),
        (4, 12),
        (4, 13),
        (4, 14),
    ]
    pd.testing.assert_frame_equal(
        model_selection(longer, stored), model_selection(longer), check_exact=True
    )
    # The re-used forecasts are the ones scored: Naive's moved by 1, its error changes.
    moved = reused.assign(Naive=reused["Naive"] + 1.0)
    fresh = fc.select_models(series, 12)[summary["unique_id"].iloc[0]]
    shifted = fc.select_models(series, 12, moved)[summary["unique_id"].iloc[0]]
    assert shifted.naive_mase != fresh.naive_mase
    # A restated earlier period: nothing to re-use.
    restated = fc.series_frame(scorecard_series([0.35, *values[1:], 0.3]))
    assert sel.reusable_cuts(sel.series_summary(restated), stored) is None


# --------------------------------------------------------------------------- forecast paths


def test_intervals_are_ordered_and_within_bounds() -> None:
    values = [0.3, 0.1, 0.6, 0.2, 0.0, 0.4, 0.1, 0.5, 0.2, 0.3, 0.1, 0.4, 0.2, 0.0]
    scorecard = scorecard_series(values, in_progress_value=0.2)
    paths = forecast_paths(scorecard, CATALOGUE, dt.date(2023, 3, 15))
    assert list(paths["horizon"]) == list(range(1, fc.HORIZON + 1))
    assert (paths["forecast_state"] == "forecast").all()
    ordered = paths[["lower_95", "lower_80", "forecast", "upper_80", "upper_95"]].to_numpy()
    assert (np.diff(ordered, axis=1) >= 0).all()
    assert (ordered >= 0).all()  # churn_rate's catalogue minimum
    assert paths["period_start"].iloc[0] == dt.date(2023, 3, 1)
    assert paths["period_end"].iloc[0] == dt.date(2023, 3, 31)
    assert list(paths["is_in_progress"][:2]) == [True, False]
    assert paths["history_periods"].iloc[0] == 14
    assert paths["backtest_points"].iloc[0] == 1 + 2 + 3 + 3  # cuts 1..4, steps <= min(cut, 3)
    # Interval widths grow with the horizon.
    width = paths["upper_95"] - paths["lower_95"]
    assert width.iloc[3] >= width.iloc[0]


def test_the_last_bits_of_a_value_do_not_change_a_forecast() -> None:
    """Two builds of the same data may sum a KPI in another order (DuckDB's parallel
    aggregation, an incremental refresh's appended rows): the forecasts must be the same."""
    values = [3.1, 2.7, 3.6, 2.9, 2.2, 3.4, 2.8, 3.9, 3.0, 3.3, 2.6, 3.5, 3.2, 2.4]
    scorecard = scorecard_series(values, in_progress_value=3.0)
    other_order = scorecard.assign(value=np.nextafter(scorecard["value"], np.inf))
    assert (other_order["value"] != scorecard["value"]).all()
    as_of = dt.date(2023, 3, 15)
    pd.testing.assert_frame_equal(
        forecast_paths(other_order, CATALOGUE, as_of).drop(columns="last_value"),
        forecast_paths(scorecard, CATALOGUE, as_of).drop(columns="last_value"),
        check_exact=True,
    )


def test_a_short_history_is_a_state_not_an_error() -> None:
    scorecard = pd.concat(
        [
            scorecard_series([2.0, 2.1, 1.9, 2.2, 2.0]),
            scorecard_series([2.0] * 7 + [2.5], segment=("plan", "basic-m")),
        ]
    )
    paths = forecast_paths(scorecard, CATALOGUE, dt.date(2022, 9, 1))
    short = paths[paths["segment_type"] == "total"]
    assert len(short) == 1
    row = short.iloc[0]
    assert row["forecast_state"] == "too_short"
    assert row["horizon"] == 1 and row["period_start"] == dt.date(2022, 6, 1)
    assert math.isnan(row["forecast"]) and row["model"] is None
    long_enough = paths[paths["segment_type"] == "plan"]
    assert (long_enough["forecast_state"] == "forecast").all()


# --------------------------------------------------------------------------- outlook


def _path(**columns: object) -> pd.DataFrame:
    base = {
        "kpi_code": "churn_rate",
        "segment_type": "total",
        "segment_value": "all",
        "period_grain": "month",
        "horizon": 1,
        "period_start": dt.date(2024, 11, 1),
        "period_end": dt.date(2024, 11, 30),
        "is_in_progress": True,
        "forecast_state": "forecast",
        "forecast": 2.0,
        "lower_95": 2.0 - ol.Z95,
        "upper_95": 2.0 + ol.Z95,  # sd 1
    }
    base.update(columns)
    return pd.DataFrame([base])


def test_outlook_probability_from_the_forecast_distribution() -> None:
    # Two more months to the year's end: horizon 2 (December) with sd 1 as well.
    paths = pd.concat(
        [
            _path(),
            _path(
                horizon=2,
                period_start=dt.date(2024, 12, 1),
                period_end=dt.date(2024, 12, 31),
                is_in_progress=False,
                forecast=3.0,
                lower_95=3.0 - ol.Z95,
                upper_95=3.0 + ol.Z95,
            ),
        ]
    )
    scorecard = scorecard_series(
        [1.0] * 10, start=dt.date(2024, 1, 1), target=2.5, in_progress_value=4.0
    )
    outlook = target_outlook(paths, scorecard, CATALOGUE, dt.date(2024, 11, 15))
    by_period = outlook.set_index("outlook_period")
    period = by_period.loc["period"]
    # P(N(2, 1) <= 2.5) = Phi(0.5)
    assert period["probability_on_target"] == pytest.approx(0.691462, abs=1e-6)
    assert period["method"] == "forecast"  # churn does not accrue: no pace
    assert period["outlook_state"] == "uncertain"
    # Q4: October 1.0 known, November N(2, 1), December N(3, 1), equal denominators:
    # mean 2.0, sd sqrt(2)/3; P(<= 2.5) = Phi(0.5 / 0.4714)
    quarter = by_period.loc["quarter"]
    assert quarter["expected_value"] == pytest.approx(2.0)
    assert quarter["expected_sd"] == pytest.approx(math.sqrt(2) / 3)
    expected = 0.5 * (1 + math.erf(0.5 / (math.sqrt(2) / 3) / math.sqrt(2)))
    assert quarter["probability_on_target"] == pytest.approx(expected)
    assert quarter["period_start"] == dt.date(2024, 10, 1)
    assert quarter["outlook_text"].startswith("likely to make the Q4 2024 target: 86 % chance")
    # The year: ten known months at 1.0, November and December: mean 17/12.
    year = by_period.loc["year"]
    assert year["expected_value"] == pytest.approx((10 + 2 + 3) / 12)


def test_outlook_combines_the_pace_so_far_with_the_forecast_for_additive_measures() -> None:
    paths = _path(
        kpi_code="cpl", forecast=140.0, lower_95=140 - 20 * ol.Z95, upper_95=140 + 20 * ol.Z95
    )
    scorecard = scorecard_series(
        [150.0] * 10,
        kpi_code="cpl",
        start=dt.date(2024, 1, 1),
        target=150.0,
        in_progress_value=180.0,
    )
    outlook = target_outlook(paths, scorecard, CATALOGUE, dt.date(2024, 11, 15))
    period = outlook.set_index("outlook_period").loc["period"]
    # Half the month gone: 0.5 x 180 + 0.5 x 140 = 160, sd 0.5 x 20 = 10; P(<= 150) = Phi(-1)
    assert period["method"] == "pace_and_forecast"
    assert period["elapsed_share"] == pytest.approx(0.5)
    assert period["expected_value"] == pytest.approx(160.0)
    assert period["probability_on_target"] == pytest.approx(0.158655, abs=1e-6)
    assert period["outlook_state"] == "likely_to_miss"
    assert period["impact_score"] == pytest.approx((1 - 0.158655) * 10 / 150, abs=1e-6)
    assert period["outlook_text"] == (
        "likely to miss the November 2024 target: 16 % chance of ending on target"
    )


def test_too_short_series_have_an_outlook_row_saying_so() -> None:
    paths = _path(forecast_state="too_short", forecast=np.nan, lower_95=np.nan, upper_95=np.nan)
    scorecard = scorecard_series([2.0] * 3, start=dt.date(2024, 8, 1), target=2.0)
    outlook = target_outlook(paths, scorecard, CATALOGUE, dt.date(2024, 11, 15))
    assert set(outlook["outlook_state"]) == {"too_short"}
    assert outlook["probability_on_target"].isna().all()


# --------------------------------------------------------------------------- the demo


@pytest.fixture(scope="module")
def demo_warehouse(dbt_built_warehouse) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(dbt_built_warehouse("demo")), read_only=True)
    yield connection
    connection.close()


@pytest.mark.dbt
def test_the_demo_build_produces_the_three_marts(demo_warehouse) -> None:
    forecasts = demo_warehouse.execute(
        "select forecast_state, count(*), min(horizon), max(horizon) from marts.kpi_forecasts "
        "group by forecast_state"
    ).fetchall()
    states = {state: (count, low, high) for state, count, low, high in forecasts}
    assert states["forecast"][0] > 50 and states["forecast"][1:] == (1, 4)
    bad_order = demo_warehouse.execute(
        "select count(*) from marts.kpi_forecasts where forecast_state = 'forecast' and not "
        "(lower_95 <= lower_80 and lower_80 <= forecast and forecast <= upper_80 "
        "and upper_80 <= upper_95)"
    ).fetchone()[0]
    assert bad_order == 0
    outlook = demo_warehouse.execute(
        "select count(*), count(probability_on_target), min(probability_on_target), "
        "max(probability_on_target) from marts.kpi_target_outlook "
        "where kpi_code = 'churn_rate' and segment_type = 'total'"
    ).fetchone()
    assert outlook[0] == 3 and outlook[1] == 3 and 0 <= outlook[2] <= outlook[3] <= 1
    decomposed = demo_warehouse.execute(
        "select count(*), count(distinct kpi_code) from marts.kpi_change_decomposition"
    ).fetchone()
    assert decomposed[0] > 10 and decomposed[1] >= 3


@pytest.mark.dbt
def test_the_change_decomposition_is_exact_on_every_row_of_the_demo(demo_warehouse) -> None:
    groups = demo_warehouse.execute(
        """
        select kpi_code, period_grain, segment_type, min(value_change), max(value_change),
            sum(rate_effect + mix_effect), count(*)
        from marts.kpi_change_decomposition
        group by kpi_code, period_grain, segment_type
        """
    ).fetchall()
    assert groups
    for kpi_code, grain, segment_type, low, high, effects, _ in groups:
        assert low == high, (kpi_code, grain, segment_type)
        assert abs(effects - low) <= 1e-9, (kpi_code, grain, segment_type, effects, low)
    rows = demo_warehouse.execute(
        "select rate_effect, mix_effect, total_effect from marts.kpi_change_decomposition"
    ).fetchall()
    assert all(abs(rate + mix - total) <= 1e-12 for rate, mix, total in rows)
    churn = demo_warehouse.execute(
        "select change_text from marts.kpi_change_decomposition "
        "where kpi_code = 'churn_rate' and segment_type = 'plan' and effect_rank = 1"
    ).fetchone()
    assert churn is not None and churn[0].startswith("churn_rate ")


def test_the_accuracy_table_shows_what_each_kind_of_refresh_costs() -> None:
    values = [0.3, 0.1, 0.6, 0.2, 0.0, 0.4, 0.1, 0.5, 0.2, 0.3, 0.1, 0.4, 0.2, 0.0]
    scorecard = pd.concat(
        [scorecard_series(values), scorecard_series([2.0, 2.1], segment=("plan", "basic-m"))]
    )
    figures = accuracy.summarise(forecast_paths(scorecard, CATALOGUE, dt.date(2023, 3, 15)))
    # the scorecard a period before: every series without its latest complete period
    previous = accuracy.previous_scorecard(scorecard)
    assert len(previous) == len(scorecard) - 2
    assert previous["period_start"].max() == dt.date(2023, 1, 1)
    assert (figures["series"], figures["series_forecast"], figures["series_too_short"]) == (2, 1, 1)
    assert figures["backtest_points"] == 1 + 2 + 3 + 3
    seconds = {
        "import": {"cpu": 2.0, "wall": 4.0},
        "backtest": {"cpu": 9.0, "wall": 20.0},
        "backtest_period_on": {"cpu": 3.0, "wall": 6.0},
        "fit": {"cpu": 1.5, "wall": 3.0},
    }
    text = accuracy.markdown({"demo": {**figures, "seconds": seconds, "load_average": 3.2}}, "x")
    # first: import + backtest + fit; new period: import + backtest a period on + fit; same
    # period: import + fit (CPU, wall in brackets)
    assert (
        "| 2.0 (4.0) | 9.0 (20.0) | 3.0 (6.0) | 1.5 (3.0) | 12.5 (27.0) | 6.5 (13.0) "
        "| 3.5 (7.0) | 3.2 |"
    ) in text
    # a row measured before the backtest a period on was: n/a there
    del seconds["backtest_period_on"]
    text = accuracy.markdown({"demo": {**figures, "seconds": seconds, "load_average": 3.2}}, "x")
    assert "| 9.0 (20.0) | n/a | 1.5 (3.0) | 12.5 (27.0) | n/a | 3.5 (7.0) |" in text
