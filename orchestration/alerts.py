"""KPI alerts: which scorecard rows deserve a human's attention after a refresh.

Pure rules over scorecard rows (dicts with the columns of `marts.kpi_scorecard`), plus the
three sinks: the run's log and metadata (done by the `kpi_alerts` asset), a JSON-lines file
and an optional webhook.

The rules, per KPI, segment and grain, on the LATEST period (the latest complete period
unless incomplete periods are included):

- `became_off_track`: its status is `off_track` and the previous period of the same KPI,
  segment and grain was not (or there is no previous period);
- `moved_more_than_share`: |value - previous_value| / |previous_value| exceeds the share
  (default 0.25); a move away from a previous value of 0 always counts.

Suppressed rows (engagement anonymity) never alert. An alert is identified by KPI, segment,
period and reasons; one already in the alert file is not emitted again, so a daily refresh
does not repeat yesterday's alerts.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

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
    if not path.exists():
        return set()
    ids = set()
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and record.get("alert_id"):
                ids.add(str(record["alert_id"]))
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
    """Append one JSON object per line to the alert file, creating it and its folder."""
    if not records:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, sort_keys=True, default=str) + "\n")


def webhook_payload(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The JSON body POSTed to the webhook (`text` makes it readable in Slack/Teams too)."""
    lines = [f"Nyckeltal: {len(records)} KPI alert(s)"]
    lines += [f"- {record['message']}" for record in records]
    return {"source": "nyckeltal", "text": "\n".join(lines), "alerts": list(records)}


def post_alerts(url: str, records: Sequence[Mapping[str, Any]], timeout: float = 10.0) -> int:
    """POST the alerts as JSON to an http(s) webhook; return the HTTP status.

    Raises urllib.error.URLError (or HTTPError for a 4xx/5xx answer) on failure.
    """
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in {"http", "https"}:
        raise ValueError(f"the alert webhook must be an http(s) URL, not {url!r}")
    body = json.dumps(webhook_payload(records), default=str).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "nyckeltal-alerts"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return int(response.status)
