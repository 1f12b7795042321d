"""The findings of a digest: the scorecard rules' alerts and, when their marts exist, the
KPIs forecast to miss their target (`marts.kpi_target_outlook`, raised once per period and
KPI), the latest periods' anomalies (`marts.kpi_anomalies`), the largest segment call-outs
(`marts.kpi_segment_callouts`) and the customers with the most MRR at stake
(`marts.customer_churn_risk`), each with an id and a score to rank it by.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nyckeltal.alerts.rules import (
    BECAME_OFF_TRACK,
    MOVED_MORE_THAN_SHARE,
    Alert,
    _float,
    _number,
    _text,
    change_share,
    evaluate_alerts,
)

BASELINE = "baseline"
DIGEST = "digest"
FAILURE = "failure"
ANOMALY = "anomaly"
CALLOUT = "callout"
CHURN_RISK = "churn_risk"
FORECAST_MISS = "forecast_miss"
# Sections of a digest, most urgent first; each is ranked by its item's score.
SECTIONS = (
    (BECAME_OFF_TRACK, "KPIs that went off track"),
    (FORECAST_MISS, "Forecast to miss its target"),
    (ANOMALY, "Anomalies against their own history"),
    (CALLOUT, "Largest segment call-outs"),
    (MOVED_MORE_THAN_SHARE, "Large moves against the previous period"),
    (CHURN_RISK, "Highest-risk customers by MRR at stake"),
)
# Findings that raise a digest when new; churn risk is context shown with them.
TRIGGERS = (BECAME_OFF_TRACK, FORECAST_MISS, ANOMALY, CALLOUT, MOVED_MORE_THAN_SHARE)
ITEMS_PER_SECTION = 5
CALLOUTS_PER_PERIOD = 5


@dataclass(frozen=True)
class Finding:
    """One line of a digest: what was found, its id and how much it matters (higher first)."""

    section: str
    item_id: str
    score: float
    message: str


def alert_findings(alerts: Iterable[Alert]) -> list[Finding]:
    """Findings of the scorecard rules: one per reason, so that an off-track KPI and a large
    move are ranked in their own sections. Off track: total rows first, then the gap to the
    target; moves: the share moved."""
    findings = []
    for alert in alerts:
        where = (
            f"{alert.kpi_code} {alert.segment_type}/{alert.segment_value} "
            f"{alert.period_start} ({alert.period_grain})"
        )
        base = "|".join(
            (alert.kpi_code, alert.segment_type, alert.segment_value, alert.period_grain)
        )
        if BECAME_OFF_TRACK in alert.reasons:
            gap = change_share(alert.value, alert.target_value)
            gap = 1e6 if gap is None or math.isinf(gap) else gap
            total = 1e6 if alert.segment_type == "total" else 0.0
            was = f"was {alert.previous_status}" if alert.previous_status else "first period"
            findings.append(
                Finding(
                    BECAME_OFF_TRACK,
                    f"{BECAME_OFF_TRACK}|{base}|{alert.period_start}",
                    total + gap,
                    f"{where}: off track at {_number(alert.value)} against target "
                    f"{_number(alert.target_value)} ({was})",
                )
            )
        if MOVED_MORE_THAN_SHARE in alert.reasons:
            share = alert.change_share
            score = 1e6 if share is None or math.isinf(share) else share
            moved = (
                "away from 0"
                if not alert.previous_value or alert.value is None
                else f"{(alert.value - alert.previous_value) / abs(alert.previous_value):+.1%}"
            )
            findings.append(
                Finding(
                    MOVED_MORE_THAN_SHARE,
                    f"{MOVED_MORE_THAN_SHARE}|{base}|{alert.period_start}",
                    score,
                    f"{where}: moved {moved} ({_number(alert.value)} vs "
                    f"{_number(alert.previous_value)} before)",
                )
            )
    return findings


def _latest_per(rows: Iterable[Mapping[str, Any]], key: Sequence[str]) -> list[Mapping[str, Any]]:
    """The rows of the latest period_start of each `key` group."""
    latest: dict[tuple[str, ...], str] = {}
    rows = list(rows)
    for row in rows:
        group = tuple(_text(row.get(name)) for name in key)
        latest[group] = max(latest.get(group, ""), _text(row["period_start"]))
    return [
        row
        for row in rows
        if _text(row["period_start"]) == latest[tuple(_text(row.get(n)) for n in key)]
    ]


def anomaly_findings(rows: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """Anomalies of the latest period of each series in `marts.kpi_anomalies`, ranked by
    their distance from the expected value in robust standard deviations."""
    series = ("kpi_code", "segment_type", "segment_value", "period_grain")
    findings = []
    for row in _latest_per(rows, series):
        if not row.get("is_anomaly"):
            continue
        size = _float(row.get("robust_z"))
        findings.append(
            Finding(
                ANOMALY,
                "|".join([ANOMALY, *(_text(row[name]) for name in series)])
                + f"|{_text(row['period_start'])}",
                abs(size) if size is not None else 1e6,
                f"{row['kpi_code']} {row['segment_type']}/{row['segment_value']} "
                f"{_text(row['period_start'])} ({row['period_grain']}): "
                f"{_number(_float(row.get('value')))} is {row.get('direction')} its expected "
                f"band {_number(_float(row.get('expected_low')))}.."
                f"{_number(_float(row.get('expected_high')))}"
                + (f" ({size:+.1f} robust SD)" if size is not None else ""),
            )
        )
    return findings


def callout_findings(
    rows: Iterable[Mapping[str, Any]], per_period: int = CALLOUTS_PER_PERIOD
) -> list[Finding]:
    """The `per_period` largest call-outs of the latest period of each KPI and grain in
    `marts.kpi_segment_callouts`, ranked by their size-weighted score."""
    latest = _latest_per(rows, ("kpi_code", "period_grain"))
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for row in latest:
        groups[(_text(row["kpi_code"]), _text(row["period_grain"]))].append(row)
    findings = []
    for group in sorted(groups):
        ranked = sorted(groups[group], key=lambda row: -(_float(row.get("callout_score")) or 0))
        for row in ranked[:per_period]:
            findings.append(
                Finding(
                    CALLOUT,
                    "|".join(
                        (
                            CALLOUT,
                            _text(row["kpi_code"]),
                            _text(row["segment_type"]),
                            _text(row["segment_value"]),
                            _text(row["period_grain"]),
                            _text(row["period_start"]),
                        )
                    ),
                    _float(row.get("callout_score")) or 0.0,
                    f"{_text(row['period_start'])}: {row['callout_text']}",
                )
            )
    return findings


def forecast_miss_findings(rows: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """The KPIs (total rows) of `marts.kpi_target_outlook` likely to miss their target, ranked
    by impact_score. The id names the KPI, outlook period and period but not the probability:
    raised once per period and KPI, however the forecast moves within the period."""
    findings = []
    for row in rows:
        if row.get("segment_type") != "total" or row.get("outlook_state") != "likely_to_miss":
            continue
        series = ("kpi_code", "segment_type", "segment_value", "period_grain", "outlook_period")
        findings.append(
            Finding(
                FORECAST_MISS,
                "|".join([FORECAST_MISS, *(_text(row[name]) for name in series)])
                + f"|{_text(row['period_start'])}",
                _float(row.get("impact_score")) or 0.0,
                f"{row['kpi_code']}: {row['outlook_text']} (expected "
                f"{_number(_float(row.get('expected_value')))} against target "
                f"{_number(_float(row.get('target_value')))})",
            )
        )
    return findings


def churn_risk_findings(
    rows: Iterable[Mapping[str, Any]], limit: int = ITEMS_PER_SECTION
) -> list[Finding]:
    """The customers of `marts.customer_churn_risk` with the most MRR at stake
    (probability x MRR), latest as-of month only."""
    rows = [row for row in rows if _float(row.get("churn_probability")) is not None]
    if not rows:
        return []
    as_of = max(_text(row["as_of_month"]) for row in rows)
    rows = [row for row in rows if _text(row["as_of_month"]) == as_of]
    rows.sort(key=lambda row: (-(_float(row.get("mrr_at_stake")) or 0), _text(row["customer_id"])))
    return [
        Finding(
            CHURN_RISK,
            f"{CHURN_RISK}|{row['customer_id']}|{as_of}",
            _float(row.get("mrr_at_stake")) or 0.0,
            f"customer {row['customer_id']}: {float(row['churn_probability']):.0%} risk "
            f"({row.get('risk_band')}) of churning in {as_of[:7]}, "
            f"{_number(_float(row.get('mrr_at_stake')))} MRR at stake"
            + (f"; {row['top_factors']}" if row.get("top_factors") else ""),
        )
        for row in rows[:limit]
    ]


def read_relation(warehouse: Path, schema: str, table: str) -> list[dict[str, Any]]:
    """Every row of schema.table in a DuckDB warehouse (none if the file or table is missing)."""
    import duckdb

    from nyckeltal.relations import fetch_dicts, has_relation

    if not warehouse.exists():
        return []
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        if not has_relation(connection, schema, table):
            return []
        return fetch_dicts(connection.execute(f'select * from {schema}."{table}"'))


def findings_of_warehouse(
    warehouse: Path,
    change_share_threshold: float = 0.25,
    include_incomplete: bool = False,
) -> tuple[list[Finding], list[Finding], int]:
    """(trigger findings, context findings, scorecard rows) of a refreshed warehouse."""
    rows = read_relation(warehouse, "marts", "kpi_scorecard")
    found = evaluate_alerts(rows, change_share_threshold, include_incomplete)
    findings = alert_findings(found)
    findings += anomaly_findings(read_relation(warehouse, "marts", "kpi_anomalies"))
    findings += callout_findings(read_relation(warehouse, "marts", "kpi_segment_callouts"))
    findings += forecast_miss_findings(read_relation(warehouse, "marts", "kpi_target_outlook"))
    context = churn_risk_findings(read_relation(warehouse, "marts", "customer_churn_risk"))
    return findings, context, len(rows)
