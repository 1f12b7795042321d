"""Churn risk: for each active customer, the probability of churning within the month.

Trained and scored on every refresh (the `customer_churn_risk` asset, after the marts) from
`intermediate.int_customer_churn_features`: one row per month M and customer active at the
start of M, with what was known then (tenure, plan, product line, segment, acquisition
channel, MRR, the last three months' MRR movements, the latest NPS answer, unpaid invoices)
and whether the customer churned during M.

The model is a logistic regression (scikit-learn) on standardised numbers and one-hot
categories: deterministic, quick, calibrated enough to read as a probability, and every
prediction splits into additive contributions that name its top factors in words.

Point in time: the scores of month M are those of a model trained on the months before M
(whose outcome is known at the start of M) applied to M's features, which only read data
dated before M. So data arriving after M never changes M's scores.

Not enough history (fewer than MIN_TRAINING_MONTHS months, MIN_TRAINING_ROWS rows or
MIN_CHURNED churned customers before M): every customer gets the risk band
`not_enough_history` and no probability.

The time-based backtest scores each of the last BACKTEST_MONTHS months with a model trained
on the months before it, and reports ROC AUC, the precision of the top decile (and its lift
over the base rate) and calibration (Brier score, mean predicted vs observed churn).
"""

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from nyckeltal.progress import stage
from orchestration.resources import NyckeltalResource

FEATURES_RELATION = "intermediate.int_customer_churn_features"
RISK_RELATION = "marts.customer_churn_risk"
BACKTEST_RELATION = "marts.customer_churn_backtest"

NUMERIC_FEATURES = (
    "tenure_months",
    "mrr_at_start",
    "expansion_mrr_3m",
    "contraction_mrr_3m",
    "latest_nps_score",
    "has_nps_answer",
    "unpaid_invoices",
)
CATEGORICAL_FEATURES = (
    "plan_id_at_start",
    "product_line_at_start",
    "customer_segment",
    "acquisition_channel",
)
MIN_TRAINING_MONTHS = 3
MIN_TRAINING_ROWS = 100
MIN_CHURNED = 10
BACKTEST_MONTHS = 6
SEED = 0
NOT_ENOUGH_HISTORY = "not_enough_history"
TOP_FACTORS = 3

_FACTOR_WORDS = {
    "tenure_months": "tenure of {value:.0f} months",
    "mrr_at_start": "MRR of {value:,.2f}",
    "expansion_mrr_3m": "expansion of {value:,.2f} MRR in the last 3 months",
    "contraction_mrr_3m": "contraction of {value:,.2f} MRR in the last 3 months",
    "latest_nps_score": "latest NPS answer {value:.0f}",
    "has_nps_answer": "{answered}",
    "unpaid_invoices": "{value:.0f} unpaid invoice(s)",
}
_CATEGORY_WORDS = {
    "plan_id_at_start": "plan",
    "product_line_at_start": "product line",
    "customer_segment": "segment",
    "acquisition_channel": "acquired through",
}


# --------------------------------------------------------------------------- the model


def prepare(frame: pd.DataFrame, features: Sequence[str] | None = None) -> pd.DataFrame:
    """The model's input columns: missing NPS answers as a flag (and the neutral 7.5 score),
    categories as strings ('unknown' when null)."""
    features = list(features or (*NUMERIC_FEATURES, *CATEGORICAL_FEATURES))
    prepared = pd.DataFrame(index=frame.index)
    for name in features:
        if name == "has_nps_answer":
            prepared[name] = frame["latest_nps_score"].notna().astype(float)
        elif name == "latest_nps_score":
            prepared[name] = _numbers(frame[name]).fillna(7.5)
        elif name in CATEGORICAL_FEATURES:
            prepared[name] = frame[name].astype("object").where(frame[name].notna(), "unknown")
            prepared[name] = prepared[name].astype(str)
        else:
            prepared[name] = _numbers(frame[name]).fillna(0.0)
    return prepared


def _numbers(column: pd.Series) -> pd.Series:
    """Floats with NaN for missing values, also from DuckDB's nullable integer columns."""
    return pd.to_numeric(column, errors="coerce").astype("float64")


def make_model(features: Sequence[str]) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [name for name in features if name not in CATEGORICAL_FEATURES]
    categorical = [name for name in features if name in CATEGORICAL_FEATURES]
    transformers = []
    if numeric:
        transformers.append(("number", StandardScaler(), numeric))
    if categorical:
        transformers.append(
            ("category", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical)
        )
    return Pipeline(
        [
            ("features", ColumnTransformer(transformers, verbose_feature_names_out=True)),
            ("model", LogisticRegression(C=1.0, max_iter=2000, random_state=SEED)),
        ]
    )


def fit(frame: pd.DataFrame, features: Sequence[str] | None = None) -> Any:
    """A model fitted on rows with their `is_churned` label."""
    features = list(features or (*NUMERIC_FEATURES, *CATEGORICAL_FEATURES))
    model = make_model(features)
    prepared = prepare(frame, features)
    model.fit(prepared, frame["is_churned"].astype(int).to_numpy())
    model.training_means_ = model.named_steps["features"].transform(prepared).mean(axis=0)
    return model


def predict(model: Any, frame: pd.DataFrame) -> np.ndarray:
    features = list(model.named_steps["features"].feature_names_in_)
    return model.predict_proba(prepare(frame, features))[:, 1]


def top_factors(model: Any, frame: pd.DataFrame, limit: int = TOP_FACTORS) -> list[str]:
    """Per row, the `limit` features pushing its risk up the most (contribution to the
    log-odds against the average customer of the training data), in words."""
    transformer = model.named_steps["features"]
    coefficients = model.named_steps["model"].coef_[0]
    names = transformer.get_feature_names_out()
    prepared = prepare(frame, list(transformer.feature_names_in_))
    encoded = transformer.transform(prepared)
    # Against the average training row: a feature at its average contributes nothing.
    contributions = (encoded - model.training_means_) * coefficients
    words = []
    for row_index, row in enumerate(contributions):
        order = np.argsort(-row, kind="stable")
        phrases = []
        for column in order:
            if row[column] <= 0 or len(phrases) >= limit:
                break
            phrase = _phrase(names[column], prepared.iloc[row_index])
            if phrase and phrase not in phrases:
                phrases.append(phrase)
        words.append("; ".join(phrases))
    return words


def _phrase(encoded_name: str, row: pd.Series) -> str | None:
    kind, _, rest = encoded_name.partition("__")
    if kind == "number":
        value = float(row[rest])
        if rest == "has_nps_answer":
            return "no NPS answer" if value == 0 else None
        return _FACTOR_WORDS[rest].format(value=value)
    for name, label in _CATEGORY_WORDS.items():
        prefix = f"{name}_"
        if rest.startswith(prefix):
            value = rest[len(prefix) :]
            return f"{label} {value}" if str(row[name]) == value else None
    return None


# --------------------------------------------------------------------------- scoring


@dataclass
class Scores:
    as_of_month: dt.date
    frame: pd.DataFrame  # the customer_churn_risk rows
    trained_on_months: int
    training_rows: int
    training_churned: int
    enough_history: bool
    reason: str = ""
    backtest: dict[str, Any] = field(default_factory=dict)


def _month(value: Any) -> dt.date:
    return pd.Timestamp(value).date()


def history_verdict(training: pd.DataFrame) -> str:
    """Empty when the rows are enough to train on, else why not."""
    months = training["month_start"].nunique()
    churned = int(training["is_churned"].astype(bool).sum())
    if months < MIN_TRAINING_MONTHS:
        return f"{months} month(s) of history before this month, {MIN_TRAINING_MONTHS} needed"
    if len(training) < MIN_TRAINING_ROWS:
        return f"{len(training)} customer-months of history, {MIN_TRAINING_ROWS} needed"
    if churned < MIN_CHURNED or churned == len(training):
        return f"{churned} churned customer-months in the history, {MIN_CHURNED} needed"
    return ""


def risk_band(probability: float, base_rate: float) -> str:
    """high: at least twice the base churn rate of the training months; medium: above it;
    low: at most the base rate."""
    if probability >= 2 * base_rate:
        return "high"
    if probability > base_rate:
        return "medium"
    return "low"


def score_month(
    features: pd.DataFrame, month: dt.date | None = None, features_used: Sequence[str] | None = None
) -> Scores:
    """Train on the months before `month` (default: the latest month of `features`) and
    score the customers active at its start."""
    features = features.copy()
    features["month_start"] = pd.to_datetime(features["month_start"])
    if features.empty:
        month = month or dt.date.today().replace(day=1)
        return Scores(month, _risk_frame([]), 0, 0, 0, False, "no customer-months at all")
    month = month or _month(features["month_start"].max())
    moment = pd.Timestamp(month)
    training = features[features["month_start"] < moment]
    current = features[features["month_start"] == moment].sort_values("customer_id")
    reason = history_verdict(training)
    base = dict(
        trained_on_months=int(training["month_start"].nunique()),
        training_rows=len(training),
        training_churned=int(training["is_churned"].astype(bool).sum()),
    )
    if reason:
        rows = [
            {
                "customer_id": str(row.customer_id),
                "as_of_month": month,
                "churn_probability": None,
                "risk_band": NOT_ENOUGH_HISTORY,
                "mrr": float(row.mrr_at_start or 0),
                "mrr_at_stake": None,
                "top_factors": f"not enough history: {reason}",
            }
            for row in current.itertuples()
        ]
        return Scores(month, _risk_frame(rows), **base, enough_history=False, reason=reason)
    model = fit(training, features_used)
    probabilities = predict(model, current) if len(current) else np.array([])
    factors = top_factors(model, current) if len(current) else []
    base_rate = base["training_churned"] / base["training_rows"]
    rows = []
    for row, probability, factor in zip(current.itertuples(), probabilities, factors, strict=True):
        mrr = float(row.mrr_at_start or 0)
        rows.append(
            {
                "customer_id": str(row.customer_id),
                "as_of_month": month,
                "churn_probability": float(probability),
                "risk_band": risk_band(float(probability), base_rate),
                "mrr": mrr,
                "mrr_at_stake": float(probability) * mrr,
                "top_factors": factor,
            }
        )
    return Scores(month, _risk_frame(rows), **base, enough_history=True)


def _risk_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    columns = [
        "customer_id",
        "as_of_month",
        "churn_probability",
        "risk_band",
        "mrr",
        "mrr_at_stake",
        "top_factors",
    ]
    return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------- backtest


def roc_auc(labels: Sequence[int], probabilities: Sequence[float]) -> float | None:
    from sklearn.metrics import roc_auc_score

    labels = np.asarray(labels)
    if labels.min(initial=0) == labels.max(initial=0):
        return None
    return float(roc_auc_score(labels, probabilities))


def top_decile_precision(labels: Sequence[int], probabilities: Sequence[float]) -> float | None:
    """The churn rate of the 10 % highest-risk rows (at least one row)."""
    labels = np.asarray(labels)
    if not len(labels):
        return None
    count = max(1, math.ceil(len(labels) / 10))
    order = np.argsort(-np.asarray(probabilities), kind="stable")[:count]
    return float(labels[order].mean())


def backtest(features: pd.DataFrame, months: int = BACKTEST_MONTHS) -> dict[str, Any]:
    """Score each of the last `months` complete months with a model trained on the months
    before it; pooled metrics (None when no month had enough history)."""
    features = features.copy()
    features["month_start"] = pd.to_datetime(features["month_start"])
    all_months = sorted(features["month_start"].unique())
    # The latest month's outcome is not known yet: it is what gets scored.
    candidates = [pd.Timestamp(m).date() for m in all_months[:-1]][-months:]
    labels: list[int] = []
    predicted: list[float] = []
    tested = []
    for month in candidates:
        scores = score_month(features, month)
        if not scores.enough_history or scores.frame.empty:
            continue
        of_month = features[features["month_start"] == pd.Timestamp(month)]
        outcome = dict(
            zip(of_month["customer_id"].astype(str), of_month["is_churned"], strict=True)
        )
        labels += [int(bool(outcome[c])) for c in scores.frame["customer_id"]]
        predicted += scores.frame["churn_probability"].astype(float).tolist()
        tested.append(month.isoformat())
    if not labels:
        return {"months": [], "rows": 0}
    base_rate = float(np.mean(labels))
    precision = top_decile_precision(labels, predicted)
    return {
        "months": tested,
        "rows": len(labels),
        "churn_rate": base_rate,
        "roc_auc": roc_auc(labels, predicted),
        "top_decile_precision": precision,
        "top_decile_lift": (precision / base_rate) if base_rate and precision is not None else None,
        "brier_score": float(np.mean((np.asarray(predicted) - np.asarray(labels)) ** 2)),
        "mean_predicted": float(np.mean(predicted)),
    }


# --------------------------------------------------------------------------- warehouse


def read_features(warehouse: Path) -> pd.DataFrame | None:
    """The feature rows of the warehouse (None when the model has not been built)."""
    import duckdb

    from nyckeltal.relations import has_relation

    with duckdb.connect(str(warehouse), read_only=True) as connection:
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
            }
        ]
    )
    with duckdb.connect(str(warehouse)) as connection:
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
                mean_predicted double
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


# --------------------------------------------------------------------------- the asset


CHURN_RISK_KEY = AssetKey(["marts", "customer_churn_risk"])


def build_churn_risk_asset(features_key: AssetKey | None = None) -> Any:
    """The `customer_churn_risk` asset: after the dbt build (it depends on
    int_customer_churn_features), before the publication (add its key to published_marts'
    deps so that the scores are published with the marts)."""
    key = features_key or AssetKey(["intermediate", "int_customer_churn_features"])

    @asset(
        key=CHURN_RISK_KEY,
        deps=[key],
        group_name="insights",
        kinds={"python", "scikit-learn", "duckdb"},
        description="For each active customer, the probability of churning within the month "
        "(orchestration/insights.py): a logistic regression trained on the months before, "
        "with its risk band and top factors in words; not_enough_history until the warehouse "
        "has enough churn history. Also writes marts.customer_churn_backtest.",
    )
    def customer_churn_risk(
        context: AssetExecutionContext, nyckeltal: NyckeltalResource
    ) -> MaterializeResult:
        with stage("churn risk") as progress:
            scores = refresh_churn_risk(nyckeltal.warehouse_path())
            if scores is None:
                progress.detail = "no features model: skipped"
                context.log.warning(f"no {FEATURES_RELATION}: churn risk not scored")
                return MaterializeResult(metadata={"scored_customers": 0})
            progress.detail = f"{len(scores.frame)} customers as of {scores.as_of_month}" + (
                "" if scores.enough_history else f" (not enough history: {scores.reason})"
            )
        metrics = {
            name: value
            for name, value in scores.backtest.items()
            if isinstance(value, int | float) and value is not None
        }
        return MaterializeResult(
            metadata={
                "as_of_month": scores.as_of_month.isoformat(),
                "scored_customers": len(scores.frame),
                "enough_history": scores.enough_history,
                "reason": scores.reason or "",
                "trained_on_months": scores.trained_on_months,
                "training_rows": scores.training_rows,
                "backtest": MetadataValue.json(scores.backtest),
                **{f"backtest_{name}": float(value) for name, value in metrics.items()},
            }
        )

    return customer_churn_risk
