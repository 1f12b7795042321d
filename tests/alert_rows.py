"""Scorecard rows for the alert tests: churn_rate total/all, monthly, target 2 %, unless told."""

from __future__ import annotations

import datetime as dt
from typing import Any


def kpi_row(
    period: str, value: float | None, status: str, previous: float | None, **extra: Any
) -> dict[str, Any]:
    """The row of the month starting on `period`; `extra` sets or overrides columns."""
    start = dt.date.fromisoformat(period)
    return {
        "kpi_code": "churn_rate",
        "segment_type": "total",
        "segment_value": "all",
        "period_grain": "month",
        "period_start": start,
        "period_end": start + dt.timedelta(days=27),
        "value": value,
        "previous_value": previous,
        "status": status,
        "target_value": 2.0,
        "unit": "percent",
        "is_complete_period": True,
        "is_suppressed": False,
        **extra,
    }
