"""Churn risk (nyckeltal/insights/churn_risk.py): deterministic, point in time, a planted signal
ranks in the top decile, a clear not-enough-history state, and the IBM Telco file mapped
into the contract reaches ROC AUC >= 0.80 from tenure, contract (plan) and monthly charges
(MRR) alone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from nyckeltal import churn_model
from nyckeltal.insights import churn_risk
from orchestration.defs.insights import build_churn_risk_asset

MONTHS = [dt.date(2024, month, 1) for month in range(1, 13)]


@pytest.fixture(scope="module")
def telco() -> pd.DataFrame:
    from test_reference_data import reference_file

    return pd.read_csv(reference_file("telco_customer_churn.csv"))


def synthetic_features(seed: int = 7, customers: int = 400) -> pd.DataFrame:
    """Customer-months with a planted churn signal: customers with two or more unpaid
    invoices churn with probability 0.6, the others with 0.03."""
    generator = np.random.default_rng(seed)
    rows = []
    for month in MONTHS:
        for number in range(customers):
            unpaid = int(generator.random() < 0.06) * int(generator.integers(2, 5))
            churn_probability = 0.6 if unpaid >= 2 else 0.03
            rows.append(
                {
                    "month_start": month,
                    "customer_id": f"C{number:04d}",
                    "is_churned": bool(generator.random() < churn_probability),
                    "tenure_months": int(generator.integers(0, 48)),
                    "plan_id_at_start": str(generator.choice(["basic-m", "pro-m", "pro-y"])),
                    "product_line_at_start": str(generator.choice(["core", "addon"])),
                    "customer_segment": str(generator.choice(["smb", "enterprise"])),
                    "acquisition_channel": str(generator.choice(["organic", "paid"])),
                    "mrr_at_start": float(generator.uniform(20, 500)),
                    "expansion_mrr_3m": 0.0,
                    "contraction_mrr_3m": 0.0,
                    "latest_nps_score": (
                        None if generator.random() < 0.5 else int(generator.integers(0, 11))
                    ),
                    "unpaid_invoices": unpaid,
                }
            )
    return pd.DataFrame(rows)


def test_a_planted_churn_signal_ranks_in_the_top_decile() -> None:
    features = synthetic_features()
    scores = churn_model.score_month(features)
    assert scores.enough_history and scores.as_of_month == dt.date(2024, 12, 1)
    frame = scores.frame.sort_values("churn_probability", ascending=False)
    latest = features[features["month_start"] == dt.date(2024, 12, 1)]
    planted = set(latest.loc[latest["unpaid_invoices"] >= 2, "customer_id"])
    assert 0 < len(planted) <= len(frame) // 10
    top_decile = set(frame["customer_id"].head(len(frame) // 10))
    assert planted <= top_decile
    first = frame.iloc[0]
    assert first["risk_band"] == "high"
    assert "unpaid invoice(s)" in first["top_factors"]
    assert first["mrr_at_stake"] == pytest.approx(first["churn_probability"] * first["mrr"])


def test_nullable_integer_columns_from_the_warehouse_are_read() -> None:
    features = synthetic_features()
    typed = features.astype({"latest_nps_score": "Int32", "unpaid_invoices": "Int64"})
    typed["is_churned"] = typed["is_churned"].astype("boolean")
    pd.testing.assert_frame_equal(
        churn_model.score_month(features).frame, churn_model.score_month(typed).frame
    )


def test_training_is_deterministic() -> None:
    features = synthetic_features()
    first = churn_model.score_month(features).frame
    second = churn_model.score_month(features.sample(frac=1.0, random_state=3)).frame
    pd.testing.assert_frame_equal(first.reset_index(drop=True), second.reset_index(drop=True))


def test_shifting_data_after_a_month_leaves_its_scores_unchanged() -> None:
    features = synthetic_features()
    month = dt.date(2024, 9, 1)
    before = churn_model.score_month(features, month).frame
    shifted = features.copy()
    later = pd.to_datetime(shifted["month_start"]) > pd.Timestamp(month)
    shifted.loc[later, "is_churned"] = ~shifted.loc[later, "is_churned"]
    shifted.loc[later, "mrr_at_start"] *= 3
    extra = shifted[shifted["month_start"] == dt.date(2024, 12, 1)].assign(
        month_start=dt.date(2025, 1, 1)
    )
    after = churn_model.score_month(pd.concat([shifted, extra]), month).frame
    pd.testing.assert_frame_equal(before, after)


def test_not_enough_history_is_a_clear_state() -> None:
    features = synthetic_features()
    two_months = features[features["month_start"] <= dt.date(2024, 3, 1)]
    scores = churn_model.score_month(two_months)
    assert not scores.enough_history
    assert scores.reason == "2 month(s) of history before this month, 3 needed"
    assert set(scores.frame["risk_band"]) == {"not_enough_history"}
    assert scores.frame["churn_probability"].isna().all()
    assert scores.frame["top_factors"].str.startswith("not enough history").all()


def test_the_time_based_backtest_reports_discrimination_and_calibration() -> None:
    result = churn_model.backtest(synthetic_features())
    assert result["months"] == [m.isoformat() for m in MONTHS[5:11]]
    assert result["rows"] == 6 * 400
    assert result["roc_auc"] > 0.75
    assert result["top_decile_lift"] > 3
    assert abs(result["mean_predicted"] - result["churn_rate"]) < 0.03
    assert result["brier_score"] < result["churn_rate"]


def test_scores_are_written_to_the_warehouse(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema intermediate")
        connection.register("features", synthetic_features())
        connection.execute(
            "create table intermediate.int_customer_churn_features as select * from features"
        )
    scores = churn_risk.refresh_churn_risk(warehouse)
    assert scores is not None and scores.backtest["rows"] == 2400
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        count, bands = connection.execute(
            "select count(*), list(distinct risk_band order by risk_band) "
            "from marts.customer_churn_risk"
        ).fetchone()
        auc = connection.execute("select roc_auc from marts.customer_churn_backtest").fetchone()
    assert count == 400 and bands == ["high", "low"]  # the planted signal separates
    assert auc[0] == pytest.approx(scores.backtest["roc_auc"])


@pytest.mark.dbt
def test_telco_churn_is_predicted_from_tenure_plan_and_mrr(
    telco: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from sklearn.model_selection import train_test_split
    from test_reference_data import TELCO_MONTH, build_kpi_rows, telco_tables

    features = build_kpi_rows(
        tmp_path_factory.mktemp("telco_risk"), telco_tables(telco), "int_customer_churn_features"
    )
    features = features[pd.to_datetime(features["month_start"]).dt.date == TELCO_MONTH]
    assert len(features) == len(telco) and int(features["is_churned"].sum()) == 1869
    train, holdout = train_test_split(
        features, test_size=0.25, stratify=features["is_churned"], random_state=0
    )
    model = churn_model.fit(train, ["tenure_months", "plan_id_at_start", "mrr_at_start"])
    auc = churn_model.roc_auc(
        holdout["is_churned"].astype(int), churn_model.predict(model, holdout)
    )
    print(f"Telco holdout ROC AUC: {auc:.3f}")
    assert auc >= 0.80


def test_the_asset_scores_the_warehouse(tmp_path: Path) -> None:
    from dagster import materialize

    from orchestration.resources import NyckeltalResource

    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema intermediate")
        connection.register("features", synthetic_features(customers=150))
        connection.execute(
            "create table intermediate.int_customer_churn_features as select * from features"
        )
    result = materialize(
        [build_churn_risk_asset()],
        resources={"nyckeltal": NyckeltalResource(warehouse=str(warehouse))},
    )
    assert result.success
    (event,) = result.asset_materializations_for_node("marts__customer_churn_risk")
    assert event.metadata["scored_customers"].value == 150
    assert event.metadata["enough_history"].value is True
    assert event.metadata["backtest_roc_auc"].value > 0.7


def test_the_backtest_is_measured_against_the_plan_average_baseline() -> None:
    """Plans are random in the synthetic data: the plan-average baseline ranks no better
    than chance, the model (unpaid invoices) beats it; calibration by decile."""
    from nyckeltal.churn_model import plan_average_baseline

    result = churn_model.backtest(synthetic_features())
    assert 0.4 < result["baseline_roc_auc"] < 0.6
    assert result["beats_baseline"] is True
    assert result["lift_over_baseline"] > 3
    deciles = result["calibration"]
    assert [d["decile"] for d in deciles] == list(range(1, 11))
    assert sum(d["rows"] for d in deciles) == result["rows"]
    assert deciles[-1]["actual"] > 0.3 > deciles[0]["actual"]
    assert abs(deciles[-1]["predicted"] - deciles[-1]["actual"]) < 0.15

    history = pd.DataFrame(
        {
            "month_start": pd.to_datetime(["2023-12-01", "2024-02-01", "2024-03-01", "2024-03-01"]),
            "plan_id_at_start": ["a", "a", "a", "b"],
            "is_churned": [True, True, False, False],
        }
    )
    current = pd.DataFrame({"plan_id_at_start": ["a", "b", "c"]})
    # Plan a: 1 of its 2 customer-months in the 12 months before 2025-01 churned (the
    # 2023-12 one is older); plan c has no history: the overall rate, 1 of 3.
    rates = plan_average_baseline(history, current, pd.Timestamp("2025-01-01"))
    assert list(rates) == pytest.approx([0.5, 0.0, 1 / 3])
