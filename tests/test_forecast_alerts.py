"""The digest's "Forecast to miss its target" section (marts.kpi_target_outlook): ranked by
impact, raised once per period and KPI."""

from __future__ import annotations

from typing import Any

from nyckeltal import alerts


def _outlook(kpi_code: str, probability: float, impact: float, **columns: Any) -> dict:
    row = {
        "kpi_code": kpi_code,
        "segment_type": "total",
        "segment_value": "all",
        "period_grain": "month",
        "outlook_period": "quarter",
        "period_start": "2024-10-01",
        "target_value": 2.0,
        "expected_value": 2.6,
        "probability_on_target": probability,
        "outlook_state": "likely_to_miss" if probability < 0.35 else "uncertain",
        "impact_score": impact,
        "outlook_text": f"likely to miss the Q4 2024 target: {probability:.0%} chance",
    }
    row.update(columns)
    return row


def test_forecast_misses_are_ranked_by_impact_and_raised_once_per_period() -> None:
    rows = [
        _outlook("churn_rate", 0.23, 0.2),
        _outlook("cpl", 0.05, 0.9),
        _outlook("nps", 0.5, 0.1),  # uncertain: not a miss
        _outlook("churn_rate", 0.1, 0.5, segment_type="plan", segment_value="basic-m"),
    ]
    findings = alerts.forecast_miss_findings(rows)
    assert [f.item_id for f in findings] == [
        "forecast_miss|churn_rate|total|all|month|quarter|2024-10-01",
        "forecast_miss|cpl|total|all|month|quarter|2024-10-01",
    ]
    digest = alerts.build_digest(findings, set(), has_history=True)
    assert digest is not None and digest.kind == alerts.DIGEST
    text = digest.text().splitlines()
    assert text[0] == "Forecast to miss its target (2):"
    assert text[1].startswith("- cpl: likely to miss the Q4 2024 target: 5% chance")
    assert text[2].startswith("- churn_rate: likely to miss")
    # The next refresh of the same quarter, the forecast moved: nothing new to raise.
    moved = alerts.forecast_miss_findings(
        [_outlook("churn_rate", 0.15, 0.3), _outlook("cpl", 0.02, 0.95)]
    )
    assert alerts.build_digest(moved, set(digest.item_ids), has_history=True) is None
    # The next quarter raises it again.
    next_quarter = alerts.forecast_miss_findings(
        [_outlook("churn_rate", 0.1, 0.3, period_start="2025-01-01")]
    )
    again = alerts.build_digest(next_quarter, set(digest.item_ids), has_history=True)
    assert again is not None
    assert again.item_ids == ["forecast_miss|churn_rate|total|all|month|quarter|2025-01-01"]
