"""Churn risk on the warehouse: read `intermediate.int_customer_churn_features`, train,
backtest and score with nyckeltal.churn_model, write `marts.customer_churn_risk` and
`marts.customer_churn_backtest`. The `customer_churn_risk` asset calls refresh_churn_risk."""

import json
from pathlib import Path

import pandas as pd

from nyckeltal.churn_model import Scores, backtest, score_month

FEATURES_RELATION = "intermediate.int_customer_churn_features"
RISK_RELATION = "marts.customer_churn_risk"
BACKTEST_RELATION = "marts.customer_churn_backtest"


def read_features(warehouse: Path) -> pd.DataFrame | None:
    """The feature rows of the warehouse (None when the model has not been built)."""
    import duckdb

    from nyckeltal.relations import has_relation

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        # No DuckDB progress bar between the refresh's progress lines (a large read shows one).
        connection.execute("set enable_progress_bar = false")
        if not has_relation(connection, "intermediate", "int_customer_churn_features"):
            return None
        return connection.execute(
            f"select * from {FEATURES_RELATION} order by month_start, customer_id"
        ).df()


def write_scores(warehouse: Path, scores: Scores) -> int:
    """Replace marts.customer_churn_risk (and marts.customer_churn_backtest) atomically."""
    import duckdb

    frame = scores.frame.copy()
    frame["as_of_month"] = pd.to_datetime(frame["as_of_month"]).dt.date
    backtest_frame = pd.DataFrame(
        [
            {
                "as_of_month": scores.as_of_month,
                "backtest_months": ",".join(scores.backtest.get("months", [])),
                "backtest_rows": int(scores.backtest.get("rows", 0)),
                "roc_auc": scores.backtest.get("roc_auc"),
                "top_decile_precision": scores.backtest.get("top_decile_precision"),
                "top_decile_lift": scores.backtest.get("top_decile_lift"),
                "brier_score": scores.backtest.get("brier_score"),
                "churn_rate": scores.backtest.get("churn_rate"),
                "mean_predicted": scores.backtest.get("mean_predicted"),
                "baseline_roc_auc": scores.backtest.get("baseline_roc_auc"),
                "baseline_top_decile_precision": scores.backtest.get(
                    "baseline_top_decile_precision"
                ),
                "lift_over_baseline": scores.backtest.get("lift_over_baseline"),
                "beats_baseline": scores.backtest.get("beats_baseline"),
                "calibration": json.dumps(scores.backtest.get("calibration", [])),
            }
        ]
    )
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("set enable_progress_bar = false")
        connection.execute("begin")
        connection.execute("create schema if not exists marts")
        connection.execute(
            f"""
            create or replace table {RISK_RELATION} (
                customer_id varchar not null,
                as_of_month date not null,
                churn_probability double,
                risk_band varchar not null,
                mrr double,
                mrr_at_stake double,
                top_factors varchar,
                primary key (customer_id, as_of_month)
            )
            """
        )
        connection.register("scored", frame)
        connection.execute(
            f"insert into {RISK_RELATION} select customer_id, as_of_month, churn_probability, "
            "risk_band, mrr, mrr_at_stake, top_factors from scored"
        )
        connection.unregister("scored")
        connection.execute(
            f"""
            create or replace table {BACKTEST_RELATION} (
                as_of_month date not null,
                backtest_months varchar,
                backtest_rows integer,
                roc_auc double,
                top_decile_precision double,
                top_decile_lift double,
                brier_score double,
                churn_rate double,
                mean_predicted double,
                baseline_roc_auc double,
                baseline_top_decile_precision double,
                lift_over_baseline double,
                beats_baseline boolean,
                calibration varchar
            )
            """
        )
        connection.register("backtest_frame", backtest_frame)
        connection.execute(f"insert into {BACKTEST_RELATION} select * from backtest_frame")
        connection.unregister("backtest_frame")
        connection.execute("commit")
    return len(frame)


def refresh_churn_risk(warehouse: Path) -> Scores | None:
    """Train, backtest and score on the warehouse's features; write the tables. None when the
    features model does not exist."""
    features = read_features(warehouse)
    if features is None:
        return None
    scores = score_month(features)
    scores.backtest = backtest(features) if scores.enough_history else {"months": [], "rows": 0}
    write_scores(warehouse, scores)
    return scores
