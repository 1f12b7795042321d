"""The KPI report (`nyckeltal report`): built from the published demo marts, opened in a real
headless Chromium from file:// with the network unused.

Chromium is Debian's `chromium` package (scripts/install-test-dependencies.sh installs it);
Playwright drives that browser (its bundled browsers are never downloaded). A missing
Chromium fails the browser test: it is part of the suite, not optional.

Set NYCKELTAL_UPDATE_DOCS_SCREENSHOT=1 to also write docs/report-overview.png (the README's
picture) from the overview screenshot.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from dagster import AssetKey, materialize

from nyckeltal import settings
from nyckeltal.cli import main
from nyckeltal.context import RunContext
from nyckeltal.publish import publish
from nyckeltal.report import build_report
from nyckeltal.report.data import display_value, load_families, load_report_data
from nyckeltal.scorecard import latest_totals, read_scorecard
from orchestration.defs.report import build_report_asset
from orchestration.resources import NyckeltalResource

pytestmark = pytest.mark.dbt

DOCS_SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "report-overview.png"
FORECAST_SCREENSHOT = DOCS_SCREENSHOT.with_name("report-forecast.png")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def published_demo(dbt_built_warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo marts, published (as `nyckeltal run` does) into a file of their own."""
    warehouse = dbt_built_warehouse("demo")
    published = tmp_path_factory.mktemp("report_published") / "nyckeltal_published.duckdb"
    publish(warehouse, published)
    return published


@pytest.fixture(scope="module")
def report(published_demo: Path, tmp_path_factory: pytest.TempPathFactory):
    context = RunContext.build()
    out = tmp_path_factory.mktemp("report") / "site"
    return build_report(published_demo, out, "EUR", context.dbt_target_path)


def _chart_specs(page: Path) -> dict[str, dict]:
    match = re.search(
        r'<script id="chart-specs" type="application/json">(.*?)</script>',
        page.read_text(encoding="utf-8"),
        re.S,
    )
    assert match, f"{page} has no chart specifications"
    return json.loads(match.group(1).replace("<\\/", "</"))


def _suppressed(node: object) -> list[dict]:
    """Every data record of a chart spec that stands for a suppressed group."""
    if isinstance(node, dict):
        found = [node] if node.get("suppressed") is True else []
        return found + [record for value in node.values() for record in _suppressed(value)]
    if isinstance(node, list):
        return [record for value in node for record in _suppressed(value)]
    return []


def _kpi_codes(published: Path) -> set[str]:
    return {row["kpi_code"] for row in read_scorecard(published)}


def test_cards_show_the_latest_complete_total_of_the_published_scorecard(published_demo) -> None:
    rows = read_scorecard(published_demo)
    data = load_report_data(published_demo, "EUR")
    assert set(data.kpis) == {row["kpi_code"] for row in rows}
    assert data.unknown_kpis == []
    # A KPI whose card shows a segment type (families.yaml card_segments) has no headline.
    segment_cards = {code for code, view in data.kpis.items() if view.info.card_segment}
    expected = {
        row["kpi_code"]: row for row in latest_totals(rows) if row["kpi_code"] not in segment_cards
    }
    with_total = {code for code, view in data.kpis.items() if view.headline is not None}
    assert with_total == set(expected)
    assert data.kpis["cac_paid"].headline is None and data.kpis["cac_paid"].trend
    for code in with_total:
        headline = data.kpis[code].headline
        assert headline == expected[code], code
        assert headline["is_complete_period"], code
        trend = data.kpis[code].trend
        assert 1 <= len(trend) <= 12
        assert trend == sorted(trend, key=lambda row: row["period_start"])
        assert all(row["segment_type"] == "total" for row in trend)
    # KPIs without a total row (per campaign, per region) still get a card of their segments.
    for code in set(data.kpis) - with_total:
        assert data.kpis[code].card_rows, code
        assert data.kpis[code].card_segment in {"campaign", "region", "channel"}
    # Segment names instead of codes: the campaigns' names from the published campaign_roi.
    assert data.segment_names[("campaign", "cmp_0001")] == "Search | Brand | DACH"
    statuses = {view.status for view in data.kpis.values()}
    assert statuses <= {"on_track", "at_risk", "off_track", "no_target"}


def test_every_family_and_segment_type_is_in_the_report(published_demo, report) -> None:
    families, labels = load_families()
    assert [page.name for page in report.pages] == ["index.html"] + [
        f"{family.slug}.html" for family in families
    ]
    rows = read_scorecard(published_demo)
    assert {row["segment_type"] for row in rows} <= set(labels)
    for family in families:
        page = (report.directory / f"{family.slug}.html").read_text(encoding="utf-8")
        assert family.formula.split(".")[0].replace("'", "&#39;") in page
        assert "When it is off track" in page
        for info in family.kpis:
            types = {
                row["segment_type"]
                for row in rows
                if row["kpi_code"] == info.code and row["segment_type"] != "total"
            }
            for segment_type in types:
                assert f'data-segment-type="{segment_type}"' in page, (info.code, segment_type)


def test_suppressed_groups_show_as_suppressed_never_as_zero(published_demo, report) -> None:
    suppressed = [row for row in read_scorecard(published_demo) if row["is_suppressed"]]
    assert suppressed, "the demo data has suppressed engagement groups"
    assert {display_value(row, "EUR") for row in suppressed} == {"suppressed"}
    page = report.directory / "engagement.html"
    html = page.read_text(encoding="utf-8")
    assert html.count('class="num suppressed">suppressed</td>') >= 1
    cells = [record for spec in _chart_specs(page).values() for record in _suppressed(spec)]
    assert cells
    assert all(cell["value"] is None and cell["shown"] == "suppressed" for cell in cells)


def test_pages_load_nothing_from_the_network(report) -> None:
    for page in report.pages:
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), page
        assert re.findall(r"<script src=\"([^\"]+)\"", html) == ["assets/vega.js"]
    assert (report.directory / "assets" / "vega.js").stat().st_size > 100_000
    assert "http" not in (report.directory / "assets" / "style.css").read_text()


def test_cli_writes_the_report(published_demo, tmp_path: Path, capsys) -> None:
    out = tmp_path / "cli-report"
    assert main(["report", "--published", str(published_demo), "--out", str(out)]) == 0
    assert f"KPI report: {len(_kpi_codes(published_demo))} KPIs" in capsys.readouterr().out
    assert (out / "index.html").is_file()
    assert main(["report", "--published", str(tmp_path / "missing.duckdb")]) == 1


def test_report_dir_setting(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NYCKELTAL_REPORT_DIR", raising=False)
    warehouse = tmp_path / "wh" / "nyckeltal.duckdb"
    assert settings.report_dir(warehouse) == (tmp_path / "wh" / "report").resolve()
    monkeypatch.setenv("NYCKELTAL_REPORT_DIR", str(tmp_path / "elsewhere"))
    assert settings.report_dir(warehouse) == (tmp_path / "elsewhere").resolve()
    assert settings.report_dir(warehouse, tmp_path / "x") == (tmp_path / "x").resolve()


def test_dagster_asset_writes_the_report_after_publishing(published_demo, tmp_path) -> None:
    kpi_report = build_report_asset()
    assert kpi_report.key == AssetKey("kpi_report")
    assert kpi_report.group_names_by_key[kpi_report.key] == "publish"
    assert kpi_report.asset_deps[kpi_report.key] == {AssetKey("published_marts")}
    out = tmp_path / "asset-report"
    result = materialize(
        [kpi_report],
        resources={
            "nyckeltal": NyckeltalResource(
                warehouse=str(tmp_path / "unused.duckdb"), published=str(published_demo)
            )
        },
        run_config={"ops": {"kpi_report": {"config": {"out": str(out)}}}},
    )
    assert result.success
    metadata = result.asset_materializations_for_node("kpi_report")[0].metadata
    assert metadata["kpis"].value == len(_kpi_codes(published_demo))
    assert (out / "index.html").is_file()


def test_overview_renders_every_card_in_headless_chromium(
    published_demo, report, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "no chromium: run scripts/install-test-dependencies.sh"
    data_cards = len(_kpi_codes(published_demo))
    assert report.kpi_count == data_cards
    problems: list[str] = []
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1150},
        )
        try:
            page = context.new_page()
            page.on(
                "console",
                lambda message: (
                    problems.append(f"console {message.type}: {message.text}")
                    if message.type in ("error", "warning")
                    else None
                ),
            )
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on(
                "request",
                lambda request: (
                    None
                    if request.url.startswith("file://")
                    else problems.append(f"network request: {request.url}")
                ),
            )
            for path in report.pages:
                page.goto(path.as_uri())
                page.wait_for_selector("body[data-charts]", timeout=60_000)
                assert page.get_attribute("body", "data-charts") == "rendered", path.name
                charts = page.locator("[data-chart]")
                assert charts.count() > 0, path.name
                assert page.locator("[data-chart] svg").count() == charts.count(), path.name
                if path.name == "churn.html":
                    why = page.locator(".why-moved li").all_inner_texts()
                    assert any(text.startswith("churn_rate ") for text in why), why
                if path.name != "index.html":
                    continue
                cards = page.locator("article.card")
                assert cards.count() == data_cards
                for index in range(cards.count()):
                    card = cards.nth(index)
                    code = card.get_attribute("data-kpi")
                    assert card.locator(".chart svg").count() == 1, code
                    assert card.locator(".chart svg .role-mark path").count() > 0, code
                    assert card.locator("h3").inner_text().strip(), code
                paid = page.locator("#card-cac_paid")
                assert "One value per channel" in paid.inner_text()
                assert paid.locator(".chart svg .role-legend").count() == 1
                revenue = page.locator("#card-revenue_per_employee .per").inner_text()
                assert revenue == "per FTE per month"
                roi = page.locator("#card-roi_3m .chart svg").text_content() or ""
                assert " %" in roi and "cmp_" not in roi
                assert "North America" in (page.locator("#card-market_share").text_content() or "")
                # Foresight: the churn card shows its forecast band, line and outlook.
                churn = page.locator("article.card[data-kpi='churn_rate']")
                assert churn.locator(".chart svg .mark-area path").count() == 2
                assert churn.locator(".forecast").inner_text().startswith("Forecast ")
                outlooks = churn.locator(".outlook").all_inner_texts()
                assert len(outlooks) == 3
                assert all("chance of ending on target" in text for text in outlooks)
                churn.screenshot(path=str(tmp_path / "report-forecast.png"))
                screenshot = tmp_path / "report-overview.png"
                page.screenshot(path=str(screenshot), full_page=True)
                print(f"overview screenshot: {screenshot}")
                if os.environ.get("NYCKELTAL_UPDATE_DOCS_SCREENSHOT"):
                    DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
                    page.screenshot(path=str(DOCS_SCREENSHOT))
                    churn.screenshot(path=str(FORECAST_SCREENSHOT))
        finally:
            context.close()
    assert problems == []
    assert screenshot.stat().st_size > 50_000
