"""churn_rate by risk band (docs/insights.md#churn_rate-by-risk-band): the band each customer
had at the start of month M comes from a model trained on the months before M only.

Without dbt: `nyckeltal.churn_model.risk_bands_by_month` on planted data (the high band churns
more than the low band, months without enough history have no bands, data after M leaves M's
bands unchanged, the latest month's bands are the asset's, training is a bounded sample).
With dbt: the demo's scorecard has the risk_band rows of the months with bands, whose
customers add up to the total's, and they match the model run on the demo's own features.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from test_churn_risk import MONTHS, synthetic_features

from nyckeltal import churn_model


def _churn_by_band(bands: pd.DataFrame, features: pd.DataFrame) -> pd.Series:
    labels = features.assign(
        month_start=pd.to_datetime(features["month_start"]).dt.date,
        customer_id=features["customer_id"].astype(str),
    )[["month_start", "customer_id", "is_churned"]]
    joined = bands.merge(labels, on=["month_start", "customer_id"], how="inner", validate="1:1")
    assert len(joined) == len(bands)
    return joined.groupby("risk_band")["is_churned"].mean()


def test_the_high_band_churns_more_than_the_low_band() -> None:
    features = synthetic_features()
    bands = churn_model.risk_bands_by_month(features)
    churn = _churn_by_band(bands, features)
    assert set(churn.index) <= {"high", "medium", "low"}
    assert churn["high"] > 5 * churn["low"], churn.to_dict()


def test_months_without_enough_history_have_no_bands() -> None:
    features = synthetic_features()
    bands = churn_model.risk_bands_by_month(features)
    # A model needs 3 earlier months: January to March have no bands, April to December do.
    assert sorted(set(bands["month_start"])) == MONTHS[3:]
    assert bands.groupby("month_start").size().eq(400).all()  # every customer at start
    assert churn_model.risk_bands_by_month(features, months=2)["month_start"].nunique() == 2
    too_short = features[pd.to_datetime(features["month_start"]) < pd.Timestamp(MONTHS[3])]
    assert churn_model.risk_bands_by_month(too_short).empty
    assert churn_model.risk_bands_by_month(features.iloc[0:0]).empty


def test_shifting_data_after_a_month_leaves_its_bands_unchanged() -> None:
    features = synthetic_features()
    month = dt.date(2024, 9, 1)
    before = churn_model.risk_bands_by_month(features)
    shifted = features.copy()
    later = pd.to_datetime(shifted["month_start"]) > pd.Timestamp(month)
    shifted.loc[later, "is_churned"] = ~shifted.loc[later, "is_churned"]
    shifted.loc[later, "unpaid_invoices"] = 0
    shifted.loc[later, "mrr_at_start"] *= 3
    after = churn_model.risk_bands_by_month(shifted)
    until_month = [
        frame[frame["month_start"] <= month].reset_index(drop=True) for frame in (before, after)
    ]
    assert len(until_month[0]) == 6 * 400
    pd.testing.assert_frame_equal(*until_month)
    assert not before.equals(after)  # the later months did change


def test_the_latest_months_bands_are_the_assets() -> None:
    features = synthetic_features()
    bands = churn_model.risk_bands_by_month(features)
    latest = bands[bands["month_start"] == MONTHS[-1]].reset_index(drop=True)
    scores = churn_model.score_month(features).frame
    assert latest["customer_id"].tolist() == scores["customer_id"].tolist()
    assert latest["risk_band"].tolist() == scores["risk_band"].tolist()
    assert latest["churn_probability"].tolist() == pytest.approx(
        scores["churn_probability"].tolist(), rel=1e-12
    )


def test_training_is_a_bounded_deterministic_sample_of_the_earlier_months(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    features = churn_model.with_sample_keys(synthetic_features())
    history = features[features["month_start"] < pd.Timestamp(MONTHS[6])]
    everything = churn_model.training_sample(history)  # 2,400 rows: under the cap
    assert len(everything) == len(history) and everything["sample_key"].is_monotonic_increasing
    sample = churn_model.training_sample(history, limit=500)
    shuffled = churn_model.training_sample(history.sample(frac=1.0, random_state=1), limit=500)
    assert len(sample) == 500 and sample.index.isin(history.index).all()
    pd.testing.assert_frame_equal(sample, shuffled)
    assert sample["sample_key"].is_monotonic_increasing
    assert sample["month_start"].nunique() == 6  # spread over the months, not the first ones
    monkeypatch.setattr(churn_model, "MAX_TRAINING_ROWS", 500)
    capped = churn_model.risk_bands_by_month(synthetic_features())
    churn = _churn_by_band(capped, synthetic_features())
    assert churn["high"] > 5 * churn["low"]


# --------------------------------------------------------------------------- the demo


@pytest.fixture(scope="module")
def demo(dbt_built_warehouse: Callable[[str | Path], Path]) -> Path:
    return dbt_built_warehouse("demo")


def _frame(warehouse: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql).df()


@pytest.mark.dbt
def test_the_demo_scorecard_has_churn_by_risk_band_adding_up_to_the_total(demo: Path) -> None:
    rows = _frame(
        demo,
        "select period_start, segment_type, segment_value, numerator, denominator, value, "
        "unit, period_grain from marts.kpi_scorecard "
        "where kpi_code = 'churn_rate' and segment_type in ('total', 'risk_band')",
    )
    bands = rows[rows["segment_type"] == "risk_band"]
    totals = rows[rows["segment_type"] == "total"].set_index("period_start")
    band_months = sorted(set(bands["period_start"]))
    # The latest 12 months of the demo have enough history; earlier months have no bands.
    assert band_months == sorted(totals.index)[-12:]
    assert set(bands["segment_value"]) == {"high", "medium", "low"}
    assert (bands["unit"] == "percent").all() and (bands["period_grain"] == "month").all()
    sums = bands.groupby("period_start")[["numerator", "denominator"]].sum()
    pd.testing.assert_frame_equal(
        sums, totals.loc[band_months, ["numerator", "denominator"]], check_names=False
    )
    assert (bands["value"] - bands["numerator"] / bands["denominator"] * 100).abs().max() < 1e-9
    # On the demo the bands separate: pooled over the complete months, high > medium > low.
    complete = _frame(
        demo,
        "select segment_value, sum(numerator) / sum(denominator) as churn "
        "from marts.kpi_scorecard where kpi_code = 'churn_rate' "
        "and segment_type = 'risk_band' and is_complete_period group by segment_value",
    ).set_index("segment_value")["churn"]
    assert complete["high"] > complete["medium"] > complete["low"], complete.to_dict()


@pytest.mark.dbt
def test_the_demo_bands_are_the_models_on_the_demo_features(demo: Path) -> None:
    """The dbt Python model is nyckeltal.churn_model run on the warehouse's features, and its
    bands of a month are those of the features known before that month."""
    features = _frame(demo, "select * from intermediate.int_customer_churn_features")
    built = _frame(
        demo,
        "select month_start, customer_id, churn_probability, risk_band "
        "from intermediate.int_customer_risk_bands_monthly order by month_start, customer_id",
    )
    built["month_start"] = pd.to_datetime(built["month_start"]).dt.date
    expected = churn_model.risk_bands_by_month(features)
    pd.testing.assert_frame_equal(built, expected, check_dtype=False)
    # Point in time on the demo: the features up to month M alone give M's bands.
    month = sorted(set(expected["month_start"]))[5]
    known = features[pd.to_datetime(features["month_start"]) <= pd.Timestamp(month)]
    truncated = churn_model.risk_bands_by_month(known, months=1)
    pd.testing.assert_frame_equal(
        truncated.reset_index(drop=True),
        expected[expected["month_start"] == month].reset_index(drop=True),
    )
