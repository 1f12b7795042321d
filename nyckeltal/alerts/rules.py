"""The scorecard rules: which KPI rows deserve an alert.

Over scorecard rows (dicts with the columns of `marts.kpi_scorecard`), per KPI, segment and
grain, on the LATEST period (the latest complete period unless incomplete periods are
included):

- `became_off_track`: its status is `off_track` and the previous period of the same KPI,
  segment and grain was not (or there is no previous period). The scorecard's
  `previous_status` is used when it has that column;
- `moved_more_than_share`: |value - previous_value| / |previous_value| exceeds the share
  (default 0.25); a move away from a previous value of 0 always counts.

Suppressed rows (engagement anonymity) never alert.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
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
