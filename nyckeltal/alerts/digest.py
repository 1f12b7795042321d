"""The digest: one message per refresh with what is new, ranked by section.

Every finding has an id (KPI, segment, period, reason); the alert file remembers the ids
already reported, so a digest is raised only when something is new, and a second identical
run raises none. The first run on a warehouse (no alert file yet) sets the baseline: one
`baseline` digest records what is already true instead of raising hundreds of alerts. A
failed or blocked refresh raises a `failure` digest with its reasons (`failure_digest`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nyckeltal.alerts.findings import (
    BASELINE,
    DIGEST,
    FAILURE,
    ITEMS_PER_SECTION,
    SECTIONS,
    Finding,
)
from nyckeltal.alerts.rules import Alert
from nyckeltal.records import append_records, read_records


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


def failure_digest(run_id: str, reasons: Sequence[str], job_name: str = "daily_refresh") -> Digest:
    return Digest(
        FAILURE,
        f"Nyckeltal: the {job_name} run {run_id[:8]} failed; yesterday's KPIs stay published",
        (Finding(FAILURE, f"{FAILURE}|{run_id}", 0.0, f"run {run_id} failed"),),
        reasons=tuple(reasons),
    )
