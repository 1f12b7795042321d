"""The KPI report's wording, without dbt: numbers that explain their status, segment names,
the charts' labels and axes, the cards' choices (nyckeltal/report)."""

from __future__ import annotations

import datetime as dt

from nyckeltal.report import charts
from nyckeltal.report.data import (
    build_view,
    display_value,
    format_against,
    format_value,
    load_families,
    segment_name,
    segment_value_names,
)


def _row(**values: object) -> dict:
    row = {
        "kpi_code": "churn_rate",
        "period_start": dt.date(2026, 10, 1),
        "period_end": dt.date(2026, 10, 31),
        "period_grain": "month",
        "segment_type": "total",
        "segment_value": "all",
        "numerator": None,
        "denominator": None,
        "value": 2.004,
        "unit": "percent",
        "target_value": 2.0,
        "status": "at_risk",
        "previous_value": None,
        "previous_status": None,
        "is_complete_period": True,
        "is_suppressed": False,
        "currency_code": None,
    }
    row.update(values)
    return row


def test_a_value_never_reads_like_a_different_target() -> None:
    # 2.004 % is at risk against 2.00 %: the text shows why.
    assert format_value(2.004, "percent", "EUR") == "2.00 %"
    assert format_against(2.004, 2.0, "percent", "EUR") == "2.004 %"
    assert display_value(_row(), "EUR") == "2.004 %"
    assert format_against(1.9996, 2.0, "percent", "EUR") == "1.9996 %"
    assert format_against(14999.6, 15000, "currency", "EUR") == "14,999.6 EUR"
    assert format_against(2.9, 3, "ratio", "EUR", with_unit=False) == "2.90"
    # Distinct texts, equal values and missing targets keep the usual decimals.
    assert format_against(2.5, 2.0, "percent", "EUR") == "2.50 %"
    assert format_against(2.0, 2.0, "percent", "EUR") == "2.00 %"
    assert format_against(2.004, None, "percent", "EUR") == "2.00 %"
    assert format_against(None, 2.0, "percent", "EUR") == "–"
    # A difference below the last decimal we show stops at six decimals.
    assert format_against(2.0000000001, 2.0, "percent", "EUR") == "2.000000 %"


def test_segments_have_names_not_codes() -> None:
    names = segment_value_names()
    assert segment_name(names, _row(segment_type="region", segment_value="uk_ie")) == (
        "UK and Ireland"
    )
    assert segment_name(names, _row(segment_type="product_line", segment_value="analytics")) == (
        "Analytics"
    )
    pair = _row(segment_type="region_product_line", segment_value="north_america|automation")
    assert segment_name(names, pair) == "North America, Automation"
    assert segment_name(names, _row(segment_type="channel", segment_value="paid_search")) == (
        "Paid search"
    )
    assert segment_name(names, _row(segment_type="plan", segment_value="pln_x")) == "pln_x"


def test_the_roi_chart_names_its_campaigns_on_a_percent_axis() -> None:
    rows = [
        _row(
            kpi_code="roi_3m",
            period_grain="campaign_window",
            segment_type="campaign",
            segment_value="cmp_0001",
            period_start=dt.date(2025, 3, 1),
            value=-12.5,
            target_value=None,
            status="no_target",
        )
    ]
    names = {("campaign", "cmp_0001"): "Search | Brand | DACH"}
    spec = charts.campaign_chart(rows, "EUR", names=names)
    (record,) = spec["datasets"]["rows"]
    assert record["campaign"] == "Search | Brand | DACH (Mar 2025)"
    bars = spec["layer"][0]["encoding"]
    assert bars["y"]["axis"].get("labels", True) is True
    assert bars["x"]["axis"]["labelExpr"] == "datum.label + ' %'"


def test_the_market_share_legend_names_regions() -> None:
    rows = [
        _row(kpi_code="market_share", segment_type="region", segment_value=code)
        for code in ("dach", "nordics")
    ]
    spec = charts.segment_lines_chart(rows, "EUR", names=segment_value_names())
    assert {record["segment"] for record in spec["datasets"]["rows"]} == {"DACH", "Nordics"}


def test_paid_cac_card_shows_its_channels_and_revenue_per_employee_is_per_month() -> None:
    families, labels = load_families()
    infos = {info.code: info for family in families for info in family.kpis}
    assert infos["cac_paid"].card_segment == "channel"
    assert infos["cac"].card_segment is None
    assert infos["revenue_per_employee"].unit_wording == "per FTE per month"
    rows = [
        _row(kpi_code="cac_paid", unit="currency", value=900.0, target_value=None),
        _row(kpi_code="cac_paid", unit="currency", segment_type="channel",
             segment_value="paid_search", value=1200.0, target_value=None),
    ]  # fmt: skip
    view = build_view(infos["cac_paid"], rows, labels)
    assert view.headline is None
    assert [row["segment_value"] for row in view.card_rows] == ["paid_search"]
