"""KPI alerts: one digest per refresh of what deserves a human's attention.

Pure rules over scorecard rows (dicts with the columns of `marts.kpi_scorecard`), the
digest that ranks what they found, and its channels: the run's log and metadata (done by
the `kpi_alerts` asset), a JSON-lines file, an optional webhook and, through Apprise,
Slack, Teams, e-mail and the rest (`NYCKELTAL_ALERT_APPRISE_URLS`).

The rules, per KPI, segment and grain, on the LATEST period (the latest complete period
unless incomplete periods are included):

- `became_off_track`: its status is `off_track` and the previous period of the same KPI,
  segment and grain was not (or there is no previous period). The scorecard's
  `previous_status` is used when it has that column;
- `moved_more_than_share`: |value - previous_value| / |previous_value| exceeds the share
  (default 0.25); a move away from a previous value of 0 always counts.

Suppressed rows (engagement anonymity) never alert. The digest adds, when their marts
exist, the KPIs forecast to miss their target (`marts.kpi_target_outlook`, raised once per
period and KPI), the latest periods' anomalies (`marts.kpi_anomalies`), the largest segment
call-outs (`marts.kpi_segment_callouts`) and the customers with the most MRR at stake
(`marts.customer_churn_risk`), ranked within each section.

Every finding has an id (KPI, segment, period, reason); the alert file remembers the ids
already reported, so a digest is raised only when something is new, and a second identical
run raises none. The first run on a warehouse (no alert file yet) sets the baseline: one
`baseline` digest records what is already true instead of raising hundreds of alerts. A
failed or blocked refresh raises a `failure` digest with its reasons
(`notify_run_failure`, called by `nyckeltal run` and by the run-failure sensor).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dagster import (
    DefaultSensorStatus,
    RunFailureSensorContext,
    SensorDefinition,
    run_failure_sensor,
)

from nyckeltal.records import append_records, read_records
from orchestration.resources import step_failure_reason
from orchestration.webhook import post_json

OFF_TRACK = "off_track"
BECAME_OFF_TRACK = "became_off_track"
MOVED_MORE_THAN_SHARE = "moved_more_than_share"


@dataclass(frozen=True)
class Alert:
    kpi_code: str
    segment_type: str
    segment_value: str
    period_grain: str
    period_start: str
    period_end: str
    reasons: tuple[str, ...]
    value: float | None
    previous_value: float | None
    change_share: float | None  # None when undefined; math.inf for a move away from 0
    status: str | None
    previous_status: str | None
    target_value: float | None
    unit: str | None
    is_complete_period: bool

    @property
    def alert_id(self) -> str:
        return "|".join(
            (
                self.kpi_code,
                self.segment_type,
                self.segment_value,
                self.period_grain,
                self.period_start,
                "+".join(self.reasons),
            )
        )

    def message(self) -> str:
        where = f"{self.kpi_code} {self.segment_type}/{self.segment_value} {self.period_start}"
        parts = []
        if BECAME_OFF_TRACK in self.reasons:
            was = f"was {self.previous_status}" if self.previous_status else "first period"
            parts.append(f"off track ({was}; target {_number(self.target_value)})")
        if MOVED_MORE_THAN_SHARE in self.reasons:
            if self.value is None or not self.previous_value:
                moved = "away from 0"
            else:
                moved = f"{(self.value - self.previous_value) / abs(self.previous_value):+.1%}"
            parts.append(
                f"moved {moved}: {_number(self.value)} vs {_number(self.previous_value)} before"
            )
        return f"{where} ({self.period_grain}): " + "; ".join(parts)

    def to_record(self) -> dict[str, Any]:
        """A JSON-serialisable dict (an infinite change share becomes null)."""
        record = asdict(self)
        record["reasons"] = list(self.reasons)
        if self.change_share is not None and math.isinf(self.change_share):
            record["change_share"] = None
        record["alert_id"] = self.alert_id
        record["message"] = self.message()
        return record


def _number(value: float | None) -> str:
    return "null" if value is None else f"{value:,.2f}"


def _text(value: Any) -> str:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return "" if value is None else str(value)


def _float(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def change_share(value: float | None, previous_value: float | None) -> float | None:
    """|value - previous| / |previous|; None when either is missing, inf away from 0."""
    if value is None or previous_value is None:
        return None
    if previous_value == 0:
        return 0.0 if value == 0 else math.inf
    return abs(value - previous_value) / abs(previous_value)


def latest_and_previous(
    rows: Iterable[Mapping[str, Any]], include_incomplete: bool = False
) -> list[tuple[Mapping[str, Any], Mapping[str, Any] | None]]:
    """Per (kpi_code, segment_type, segment_value, period_grain): the latest row and the one
    before it, considering complete periods only unless `include_incomplete`."""
    groups: dict[tuple[str, str, str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        if row.get("is_suppressed"):
            continue
        if not include_incomplete and not row.get("is_complete_period"):
            continue
        key = (
            _text(row["kpi_code"]),
            _text(row["segment_type"]),
            _text(row["segment_value"]),
            _text(row.get("period_grain")),
        )
        groups[key].append(row)
    pairs = []
    for key in sorted(groups):
        ordered = sorted(groups[key], key=lambda row: _text(row["period_start"]))
        previous = ordered[-2] if len(ordered) > 1 else None
        pairs.append((ordered[-1], previous))
    return pairs


def evaluate_alerts(
    rows: Iterable[Mapping[str, Any]],
    change_share_threshold: float = 0.25,
    include_incomplete: bool = False,
) -> list[Alert]:
    """The alerts of a scorecard (see the module docstring for the rules)."""
    alerts = []
    for latest, previous in latest_and_previous(rows, include_incomplete):
        value = _float(latest.get("value"))
        previous_value = _float(latest.get("previous_value"))
        status = latest.get("status")
        if "previous_status" in latest:
            previous_status = latest["previous_status"]
        else:
            previous_status = previous.get("status") if previous is not None else None
        reasons = []
        if status == OFF_TRACK and previous_status != OFF_TRACK:
            reasons.append(BECAME_OFF_TRACK)
        share = change_share(value, previous_value)
        if share is not None and share > change_share_threshold:
            reasons.append(MOVED_MORE_THAN_SHARE)
        if not reasons:
            continue
        alerts.append(
            Alert(
                kpi_code=_text(latest["kpi_code"]),
                segment_type=_text(latest["segment_type"]),
                segment_value=_text(latest["segment_value"]),
                period_grain=_text(latest.get("period_grain")),
                period_start=_text(latest["period_start"]),
                period_end=_text(latest.get("period_end")),
                reasons=tuple(reasons),
                value=value,
                previous_value=previous_value,
                change_share=share,
                status=status,
                previous_status=previous_status,
                target_value=_float(latest.get("target_value")),
                unit=latest.get("unit"),
                is_complete_period=bool(latest.get("is_complete_period")),
            )
        )
    return alerts


# --------------------------------------------------------------------------- sinks


def read_alert_ids(path: Path) -> set[str]:
    """The ids of the alerts already in a JSON-lines alert file (none if it is missing)."""
    ids = set()
    for record in read_records(path):
        if record.get("alert_id"):
            ids.add(str(record["alert_id"]))
        ids.update(str(item_id) for item_id in record.get("item_ids") or ())
    return ids


def unseen(alerts: Sequence[Alert], seen_ids: set[str]) -> list[Alert]:
    """The alerts whose id is not in `seen_ids` (each id once)."""
    fresh, ids = [], set(seen_ids)
    for alert in alerts:
        if alert.alert_id not in ids:
            ids.add(alert.alert_id)
            fresh.append(alert)
    return fresh


def alert_records(
    alerts: Sequence[Alert], run_id: str | None = None, emitted_at: dt.datetime | None = None
) -> list[dict[str, Any]]:
    emitted = (emitted_at or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    return [{"emitted_at": emitted, "run_id": run_id, **alert.to_record()} for alert in alerts]


def append_alerts(path: Path, records: Sequence[Mapping[str, Any]]) -> None:
    """Append one JSON object per line to the alert file, creating it and its folder: all
    of them or nothing (nyckeltal.records)."""
    append_records(path, records)


def webhook_payload(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The JSON body POSTed to the webhook (`text` makes it readable in Slack/Teams too)."""
    lines = [f"Nyckeltal: {len(records)} KPI alert(s)"]
    lines += [f"- {record['message']}" for record in records]
    return {"source": "nyckeltal", "text": "\n".join(lines), "alerts": list(records)}


def post_alerts(url: str, records: Sequence[Mapping[str, Any]], timeout: float = 10.0) -> int:
    """POST the alerts as JSON to an http(s) webhook; return the HTTP status.

    Transient failures are retried; raises `WebhookError` (an OSError, one line) on failure
    (orchestration.webhook, which says why this is not Apprise's `json://`).
    """
    return post_json(url, webhook_payload(records), timeout)


# --------------------------------------------------------------------------- the digest

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


@dataclass(frozen=True)
class Digest:
    kind: str  # baseline, digest or failure
    title: str
    findings: tuple[Finding, ...]  # the new ones (a baseline: everything already true)
    context: tuple[Finding, ...] = ()  # shown, never a trigger (churn risk)
    reasons: tuple[str, ...] = ()  # a failure's reasons

    @property
    def item_ids(self) -> list[str]:
        return [finding.item_id for finding in self.findings]

    def text(self, limit: int = ITEMS_PER_SECTION) -> str:
        """The human-readable body: per section its top `limit` lines, most urgent first."""
        if self.kind == BASELINE:
            counts = _section_counts(self.findings)
            lines = [
                f"Baseline set: {len(self.findings)} finding(s) already true were recorded, "
                "not alerted" + (f" ({counts})" if counts else "") + ". Later refreshes alert "
                "only on what changes."
            ]
        elif self.kind == FAILURE:
            lines = [f"- {reason}" for reason in self.reasons] or ["- (no reason recorded)"]
        else:
            lines = []
        shown = () if self.kind == BASELINE else self.findings
        for section, heading in SECTIONS:
            items = [f for f in (*shown, *self.context) if f.section == section]
            if not items:
                continue
            items.sort(key=lambda finding: (-finding.score, finding.item_id))
            lines.append(f"{heading} ({len(items)}):")
            lines += [f"- {finding.message}" for finding in items[:limit]]
            if len(items) > limit:
                lines.append(f"- ... and {len(items) - limit} more")
        return "\n".join(lines)

    def to_record(
        self, run_id: str | None = None, emitted_at: dt.datetime | None = None
    ) -> dict[str, Any]:
        """The JSON-serialisable line of the alert file."""
        emitted = (emitted_at or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
        return {
            "kind": self.kind,
            "emitted_at": emitted,
            "run_id": run_id,
            "title": self.title,
            "text": self.text(),
            "reasons": list(self.reasons),
            "item_ids": self.item_ids,
            "findings": [asdict(finding) for finding in (*self.findings, *self.context)],
        }


def _section_counts(findings: Sequence[Finding]) -> str:
    counts = defaultdict(int)
    for finding in findings:
        counts[finding.section] += 1
    names = dict(SECTIONS)
    return ", ".join(f"{counts[s]} {names[s].lower()}" for s, _ in SECTIONS if counts[s])


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


def build_digest(
    findings: Sequence[Finding],
    seen_ids: set[str],
    *,
    has_history: bool,
    context: Sequence[Finding] = (),
) -> Digest | None:
    """The run's digest: a baseline when the alert file has no history, else the new
    findings (None when nothing is new)."""
    unique: dict[str, Finding] = {}
    for finding in findings:
        unique.setdefault(finding.item_id, finding)
    if not has_history:
        return Digest(
            BASELINE,
            "Nyckeltal: alert baseline set",
            tuple(unique.values()),
        )
    fresh = tuple(f for f in unique.values() if f.item_id not in seen_ids)
    if not fresh:
        return None
    return Digest(
        DIGEST,
        f"Nyckeltal: {len(fresh)} new finding(s)",
        fresh,
        context=tuple(context),
    )


def has_alert_history(path: Path) -> bool:
    """True when the alert file holds a baseline, a digest or an older per-row alert; a
    file with failure alerts only (the first refreshes failed) still needs its baseline."""
    return any(record.get("kind") != FAILURE for record in read_records(path))


# --------------------------------------------------------------------------- reading marts


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


# --------------------------------------------------------------------------- channels


def post_digest(url: str, record: Mapping[str, Any], timeout: float = 10.0) -> int:
    """POST a digest record as JSON to an http(s) webhook (`text` reads well in Slack and
    Teams incoming webhooks); return the HTTP status."""
    text = f"{record['title']}\n{record['text']}"
    return post_json(url, {"source": "nyckeltal", **record, "text": text}, timeout)


def notify_apprise(urls: str | Sequence[str], title: str, body: str, failure: bool) -> bool:
    """Send through Apprise (Slack, Teams, e-mail, ...: https://github.com/caronc/apprise);
    `urls` is one string of space/comma separated Apprise URLs or a list. True on success."""
    import apprise

    notifier = apprise.Apprise()
    for url in [urls] if isinstance(urls, str) else urls:
        if url and not notifier.add(url):
            raise ValueError(f"not an Apprise URL: {url!r}")
    if not len(notifier):
        return True
    kind = apprise.NotifyType.FAILURE if failure else apprise.NotifyType.WARNING
    return bool(notifier.notify(title=title, body=body, notify_type=kind))


@dataclass(frozen=True)
class Channels:
    """Where digests go: the alert file always, the webhook and Apprise when configured."""

    alerts_file: Path
    webhook_url: str | None = None
    apprise_urls: str | None = None
    timeout: float = 10.0


def deliver(digest: Digest, channels: Channels, run_id: str | None = None) -> dict[str, Any]:
    """Send the digest to the webhook and Apprise, then append it to the alert file (last: a
    delivery that raised leaves the findings unreported, so a retry sends them again).
    Returns the record written, with the webhook's HTTP status."""
    record = digest.to_record(run_id)
    status = None
    if channels.webhook_url:
        status = post_digest(channels.webhook_url, record, timeout=channels.timeout)
    if channels.apprise_urls and not notify_apprise(
        channels.apprise_urls, digest.title, record["text"], failure=digest.kind == FAILURE
    ):
        raise OSError("Apprise could not deliver the alert digest")
    append_alerts(channels.alerts_file, [record])
    return {**record, "webhook_status": status}


def channels_from_settings(warehouse: Path | None = None) -> Channels:
    """The channels configured in the environment (NYCKELTAL_ALERTS_FILE,
    NYCKELTAL_ALERT_WEBHOOK_URL, NYCKELTAL_ALERT_APPRISE_URLS)."""
    from nyckeltal import settings

    config = settings.current()
    return Channels(
        alerts_file=settings.alerts_path(warehouse),
        webhook_url=config.alert_webhook_url,
        apprise_urls=config.alert_apprise_urls,
    )


# --------------------------------------------------------------------------- failures


def failure_digest(run_id: str, reasons: Sequence[str], job_name: str = "daily_refresh") -> Digest:
    return Digest(
        FAILURE,
        f"Nyckeltal: the {job_name} run {run_id[:8]} failed; yesterday's KPIs stay published",
        (Finding(FAILURE, f"{FAILURE}|{run_id}", 0.0, f"run {run_id} failed"),),
        reasons=tuple(reasons),
    )


def notify_run_failure(
    run_id: str,
    reasons: Sequence[str],
    channels: Channels,
    job_name: str = "daily_refresh",
) -> dict[str, Any] | None:
    """Raise the failure digest of a run once (the alert file remembers the run's id, so
    `nyckeltal run` and the run-failure sensor never both send it). Returns the record, or
    None when it was already sent."""
    digest = failure_digest(run_id, reasons, job_name)
    if set(digest.item_ids) <= read_alert_ids(channels.alerts_file):
        return None
    return deliver(digest, channels, run_id=run_id)


def build_run_failure_sensor(default_running: bool = True) -> SensorDefinition:
    """A run-failure sensor raising the failure digest of every failed run of the code
    location (scheduled runs and backfills; `nyckeltal run` raises it itself)."""

    @run_failure_sensor(
        name="refresh_failure_alert",
        description="Raises a failure alert digest (alert file, webhook, Apprise) with the "
        "reasons of every failed run.",
        default_status=DefaultSensorStatus.RUNNING
        if default_running
        else DefaultSensorStatus.STOPPED,
    )
    def refresh_failure_alert(context: RunFailureSensorContext) -> None:
        run = context.dagster_run
        reasons = [
            f"step {event.step_key} failed: {step_failure_reason(event)}"
            for event in context.get_step_failure_events()
        ]
        if not reasons:
            reasons.append(context.failure_event.message or "the run failed")
        config = (run.run_config or {}).get("resources", {}).get("nyckeltal", {})
        warehouse = (config.get("config") or {}).get("warehouse")
        channels = channels_from_settings(Path(warehouse) if warehouse else None)
        notify_run_failure(run.run_id, reasons, channels, job_name=run.job_name)

    return refresh_failure_alert
