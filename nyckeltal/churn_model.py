"""The churn-risk model: pure training, scoring and backtest functions (no warehouse, no Dagster).

One implementation for both users: the `customer_churn_risk` asset (nyckeltal.insights.churn_risk)
scores the latest month, and the dbt Python model `int_customer_risk_bands_monthly` gives every
recent month the risk band each customer had at its start (the scorecard's `churn_rate` rows of
`segment_type = 'risk_band'`).

The rows are those of `intermediate.int_customer_churn_features`: one row per month M and
customer active at the start of M, with what was known then (tenure, plan, product line,
segment, acquisition channel, MRR, the last three months' MRR movements, the latest NPS answer,
unpaid invoices) and whether the customer churned during M.

The model is a logistic regression (scikit-learn) on standardised numbers and one-hot
categories: deterministic, quick, calibrated enough to read as a probability, and every
prediction splits into additive contributions that name its top factors in words.

Point in time: the scores of month M are those of a model trained on the months before M
(whose outcome is known at the start of M) applied to M's features, which only read data
dated before M. So data arriving after M never changes M's scores.

Cost: a model is trained on at most MAX_TRAINING_ROWS customer-months of the months before M,
a deterministic sample (the rows with the smallest hash of customer and month) when there are
more, so training time stays flat however large the warehouse grows.

Not enough history (fewer than MIN_TRAINING_MONTHS months, MIN_TRAINING_ROWS rows or
MIN_CHURNED churned customers before M): every customer gets the risk band
`not_enough_history` and no probability.

The time-based backtest scores each of the last BACKTEST_MONTHS months with a model trained
on the months before it, and reports ROC AUC, the precision of the top decile (and its lift
over the base rate) and calibration (Brier score, mean predicted vs observed churn, and
predicted vs actual churn by decile). It is measured against a plan-average baseline (each
customer's plan's churn rate over the 12 months before): its ROC AUC and top-decile precision,
the model's lift over it, and whether the model beats it (beats_baseline).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

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
# Months given a risk band for the scorecard (the latest ones), and the most customer-months
# a model is fitted on (a deterministic sample beyond): the cost of a refresh stays bounded.
RISK_BAND_MONTHS = 12
MAX_TRAINING_ROWS = 50_000
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
    with _one_blas_thread():
        # The pipeline's steps one by one, to keep the encoded rows for training_means_.
        encoded = model.named_steps["features"].fit_transform(prepared)
        model.named_steps["model"].fit(encoded, frame["is_churned"].astype(int).to_numpy())
        model.training_means_ = encoded.mean(axis=0)
    return model


def predict(model: Any, frame: pd.DataFrame) -> np.ndarray:
    features = list(model.named_steps["features"].feature_names_in_)
    with _one_blas_thread():
        return model.predict_proba(prepare(frame, features))[:, 1]


def _one_blas_thread() -> Any:
    """The problems are small (tens of coefficients): BLAS threads only contend for the cores
    (three times slower on a busy 2-core machine), so fitting and scoring use one."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def top_factors(model: Any, frame: pd.DataFrame, limit: int = TOP_FACTORS) -> list[str]:
    """Per row, the `limit` features pushing its risk up the most (contribution to the
    log-odds against the average customer of the training data), in words."""
    transformer = model.named_steps["features"]
    coefficients = model.named_steps["model"].coef_[0]
    names = transformer.get_feature_names_out()
    prepared = prepare(frame, list(transformer.feature_names_in_))
    encoded = transformer.transform(prepared)
    # Against the average training row: a feature at its average contributes nothing.
    contributions = np.asarray((encoded - model.training_means_) * coefficients)
    orders = np.argsort(-contributions, axis=1, kind="stable")
    # Values from numpy columns: a row lookup in a DataFrame costs about a hundred times more
    # (a million customers at scale l), a dict per row about a gigabyte there.
    columns = {name: prepared[name].to_numpy() for name in prepared.columns}
    words = []
    for index, (row, order) in enumerate(zip(contributions, orders, strict=True)):
        phrases = []
        for column in order:
            if row[column] <= 0 or len(phrases) >= limit:
                break
            phrase = _phrase(names[column], _RowValues(columns, index))
            if phrase and phrase not in phrases:
                phrases.append(phrase)
        words.append("; ".join(phrases))
    return words


class _RowValues:
    """Row `index` of column arrays, read by name."""

    __slots__ = ("columns", "index")

    def __init__(self, columns: dict[str, np.ndarray], index: int) -> None:
        self.columns = columns
        self.index = index

    def __getitem__(self, name: str) -> Any:
        return self.columns[name][self.index]


def _phrase(encoded_name: str, row: _RowValues) -> str | None:
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


def with_sample_keys(features: pd.DataFrame) -> pd.DataFrame:
    """A copy of `features` with `month_start` as timestamps and a `sample_key` column: a hash
    of customer and month, the order in which training rows are sampled (so the sample does
    not depend on the order of the rows)."""
    features = features.copy()
    features["month_start"] = pd.to_datetime(features["month_start"])
    keys = pd.DataFrame(
        {
            "customer_id": features["customer_id"].astype(str).to_numpy(),
            "month_start": features["month_start"].to_numpy(),
        }
    )
    features["sample_key"] = pd.util.hash_pandas_object(keys, index=False).to_numpy()
    return features


def training_sample(history: pd.DataFrame, limit: int | None = None) -> pd.DataFrame:
    """The rows a model is fitted on: all of `history` (rows with a `sample_key`), or when it
    has more than `limit` (default MAX_TRAINING_ROWS) rows, the `limit` rows with the smallest
    sample keys; in sample-key order, so that the fit does not depend on the order in which
    the warehouse returned the rows."""
    limit = MAX_TRAINING_ROWS if limit is None else limit
    if len(history) <= limit:
        return history.sort_values("sample_key", kind="stable")
    return history.loc[history["sample_key"].nsmallest(limit).index]


@dataclass
class Training:
    """A model trained on the months before `month`, or why there is none."""

    model: Any | None
    trained_on_months: int
    training_rows: int
    training_churned: int
    reason: str

    @property
    def base_rate(self) -> float:
        return self.training_churned / self.training_rows if self.training_rows else 0.0


def train_before(
    features: pd.DataFrame, moment: pd.Timestamp, features_used: Sequence[str] | None = None
) -> Training:
    """Fit on the rows of `features` (from `with_sample_keys`) of the months before `moment`
    (at most MAX_TRAINING_ROWS of them); no model when there is not enough history."""
    history = features[features["month_start"] < moment]
    reason = history_verdict(history)
    model = None if reason else fit(training_sample(history), features_used)
    return Training(
        model=model,
        trained_on_months=int(history["month_start"].nunique()),
        training_rows=len(history),
        training_churned=int(history["is_churned"].astype(bool).sum()),
        reason=reason,
    )


def risk_bands(probabilities: np.ndarray, base_rate: float) -> np.ndarray:
    """`risk_band` of each probability (vectorised)."""
    probabilities = np.asarray(probabilities, dtype=float)
    return np.select(
        [probabilities >= 2 * base_rate, probabilities > base_rate], ["high", "medium"], "low"
    ).astype(object)


def score_month(
    features: pd.DataFrame, month: dt.date | None = None, features_used: Sequence[str] | None = None
) -> Scores:
    """Train on the months before `month` (default: the latest month of `features`) and
    score the customers active at its start."""
    if features.empty:
        month = month or dt.date.today().replace(day=1)
        return Scores(month, _risk_frame([]), 0, 0, 0, False, "no customer-months at all")
    features = with_sample_keys(features)
    month = month or _month(features["month_start"].max())
    moment = pd.Timestamp(month)
    current = features[features["month_start"] == moment].sort_values("customer_id")
    training = train_before(features, moment, features_used)
    base = dict(
        trained_on_months=training.trained_on_months,
        training_rows=training.training_rows,
        training_churned=training.training_churned,
    )
    if training.reason:
        reason = training.reason
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
    model = training.model
    probabilities = predict(model, current) if len(current) else np.array([])
    factors = top_factors(model, current) if len(current) else []
    bands = risk_bands(probabilities, training.base_rate)
    rows = []
    for row, probability, band, factor in zip(
        current.itertuples(), probabilities, bands, factors, strict=True
    ):
        mrr = float(row.mrr_at_start or 0)
        rows.append(
            {
                "customer_id": str(row.customer_id),
                "as_of_month": month,
                "churn_probability": float(probability),
                "risk_band": band,
                "mrr": mrr,
                "mrr_at_stake": float(probability) * mrr,
                "top_factors": factor,
            }
        )
    return Scores(month, _risk_frame(rows), **base, enough_history=True)


def risk_bands_by_month(features: pd.DataFrame, months: int = RISK_BAND_MONTHS) -> pd.DataFrame:
    """For each of the last `months` months of `features`, the risk band each customer active
    at its start had then: scored by a model trained on the months before it only, as in the
    backtest and `score_month`. A month without enough history has no rows (no fake band).
    Columns: month_start (date), customer_id, churn_probability, risk_band."""
    columns = ["month_start", "customer_id", "churn_probability", "risk_band"]
    if features.empty:
        return pd.DataFrame(columns=columns)
    features = with_sample_keys(features)
    frames = []
    for moment in sorted(features["month_start"].unique())[-months:]:
        moment = pd.Timestamp(moment)
        training = train_before(features, moment)
        if training.reason:
            continue
        current = features[features["month_start"] == moment].sort_values("customer_id")
        if current.empty:
            continue
        probabilities = predict(training.model, current)
        frames.append(
            pd.DataFrame(
                {
                    "month_start": moment.date(),
                    "customer_id": current["customer_id"].astype(str).to_numpy(),
                    "churn_probability": probabilities,
                    "risk_band": risk_bands(probabilities, training.base_rate),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


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


BASELINE_MONTHS = 12


def plan_average_baseline(
    features: pd.DataFrame, current: pd.DataFrame, moment: pd.Timestamp
) -> np.ndarray:
    """The baseline a model must beat: each customer's plan's churn rate over the
    BASELINE_MONTHS months before `moment` (the overall rate for a plan without history)."""
    start = moment - pd.DateOffset(months=BASELINE_MONTHS)
    history = features[(features["month_start"] >= start) & (features["month_start"] < moment)]
    churned = history["is_churned"].astype(bool).astype(float)
    overall = float(churned.mean()) if len(history) else 0.0
    rates = churned.groupby(history["plan_id_at_start"].astype(str)).mean()
    plans = current["plan_id_at_start"].astype(str)
    return plans.map(rates).fillna(overall).to_numpy(dtype=float)


def calibration_by_decile(
    labels: Sequence[int], probabilities: Sequence[float]
) -> list[dict[str, float]]:
    """Predicted against actual churn by decile of the prediction (decile 10 = riskiest)."""
    frame = pd.DataFrame({"label": labels, "predicted": probabilities})
    order = frame["predicted"].rank(method="first")
    frame["decile"] = np.ceil(order * 10 / len(frame)).astype(int).clip(1, 10)
    grouped = frame.groupby("decile").agg(
        rows=("label", "size"), predicted=("predicted", "mean"), actual=("label", "mean")
    )
    return [
        {
            "decile": int(decile),
            "rows": int(row.rows),
            "predicted": float(row.predicted),
            "actual": float(row.actual),
        }
        for decile, row in grouped.iterrows()
    ]


def backtest(features: pd.DataFrame, months: int = BACKTEST_MONTHS) -> dict[str, Any]:
    """Score each of the last `months` complete months with a model trained on the months
    before it; pooled metrics (None when no month had enough history)."""
    if features.empty:
        return {"months": [], "rows": 0}
    features = with_sample_keys(features)
    all_months = sorted(features["month_start"].unique())
    # The latest month's outcome is not known yet: it is what gets scored.
    candidates = [pd.Timestamp(m) for m in all_months[:-1]][-months:]
    labels: list[int] = []
    predicted: list[float] = []
    baseline: list[float] = []
    tested = []
    for moment in candidates:
        training = train_before(features, moment)
        current = features[features["month_start"] == moment].sort_values("customer_id")
        if training.reason or current.empty:
            continue
        labels += current["is_churned"].astype(bool).astype(int).tolist()
        predicted += predict(training.model, current).astype(float).tolist()
        baseline += plan_average_baseline(features, current, moment).tolist()
        tested.append(moment.date().isoformat())
    if not labels:
        return {"months": [], "rows": 0}
    base_rate = float(np.mean(labels))
    precision = top_decile_precision(labels, predicted)
    model_auc = roc_auc(labels, predicted)
    baseline_auc = roc_auc(labels, baseline)
    baseline_precision = top_decile_precision(labels, baseline)
    return {
        "baseline_roc_auc": baseline_auc,
        "baseline_top_decile_precision": baseline_precision,
        "lift_over_baseline": (precision / baseline_precision)
        if precision is not None and baseline_precision
        else None,
        "beats_baseline": bool(
            model_auc is not None and baseline_auc is not None and model_auc > baseline_auc
        ),
        "calibration": calibration_by_decile(labels, predicted),
        "months": tested,
        "rows": len(labels),
        "churn_rate": base_rate,
        "roc_auc": roc_auc(labels, predicted),
        "top_decile_precision": precision,
        "top_decile_lift": (precision / base_rate) if base_rate and precision is not None else None,
        "brier_score": float(np.mean((np.asarray(predicted) - np.asarray(labels)) ** 2)),
        "mean_predicted": float(np.mean(predicted)),
    }
