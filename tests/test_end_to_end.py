"""End to end: `nyckeltal demo` + `nyckeltal run` on a temporary warehouse, then the scorecard."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from nyckeltal import catalogue, settings
from nyckeltal.cli import COMMANDS, main
from nyckeltal.relations import fetch_dicts

# Every kpi_code of the KPI catalogue (seeds/kpi_catalogue.csv), the specification's list.
SPEC_KPI_CODES = set(catalogue.kpi_codes())


@pytest.fixture(scope="module")
def demo_warehouse(demo_refreshed: Path) -> Path:
    """`nyckeltal demo` + `nyckeltal run`, once per test run (tests/conftest.py); read-only."""
    return demo_refreshed


def _scorecard(warehouse: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict]:
    capsys.readouterr()
    assert main(["scorecard", "--format", "json", "--warehouse", str(warehouse), *extra]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.dbt
def test_the_first_run_raises_one_baseline_digest_and_an_identical_run_none(
    demo_warehouse: Path,
) -> None:
    from nyckeltal import alerts

    alerts_file = demo_warehouse.with_name("alerts.jsonl")
    (line,) = alerts_file.read_text().splitlines()
    baseline = json.loads(line)
    assert baseline["kind"] == "baseline"
    assert len(baseline["item_ids"]) > 20  # what a per-row alerting would have raised
    # What the kpi_alerts asset of a second identical run finds: nothing new.
    findings, context, rows = alerts.findings_of_warehouse(demo_warehouse)
    assert rows > 0 and findings
    seen = alerts.read_alert_ids(alerts_file)
    assert alerts.build_digest(findings, seen, has_history=True, context=context) is None


@pytest.mark.dbt
def test_scorecard_lists_every_kpi_code_of_the_spec(
    demo_warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _scorecard(demo_warehouse, capsys)
    assert {row["kpi_code"] for row in rows} == SPEC_KPI_CODES


@pytest.mark.dbt
def test_demo_values_are_plausible(
    demo_warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _scorecard(demo_warehouse, capsys)
    complete_totals = {}
    for row in rows:
        if row["segment_type"] == "total" and row["is_complete_period"]:
            complete_totals.setdefault(row["kpi_code"], []).append(row["value"])
    churn = [v for v in complete_totals["churn_rate"] if v is not None]
    nps = [v for v in complete_totals["nps"] if v is not None]
    engagement = [v for v in complete_totals["engagement_score"] if v is not None]
    assert churn and all(0 <= value <= 10 for value in churn)
    assert nps and all(-100 <= value <= 100 for value in nps)
    assert engagement and all(1 <= value <= 5 for value in engagement)
    for row in rows:
        if row["unit"] == "percent" and row["kpi_code"] in {
            "churn_rate",
            "conversion_rate",
            "engagement_favorable_pct",
        }:
            assert row["value"] is None or 0 <= row["value"] <= 100


@pytest.mark.dbt
def test_scorecard_filters_by_kpi_and_summarises(
    demo_warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _scorecard(demo_warehouse, capsys, "--kpi", "nps")
    assert rows and {row["kpi_code"] for row in rows} == {"nps"}
    summary = _scorecard(demo_warehouse, capsys, "--summary")
    all_rows = _scorecard(demo_warehouse, capsys)
    codes_with_totals = {row["kpi_code"] for row in all_rows if row["segment_type"] == "total"}
    assert [row["kpi_code"] for row in summary] == sorted(codes_with_totals)
    assert {"churn_rate", "nps", "revenue_per_employee", "cac"} <= codes_with_totals


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: nyckeltal" in capsys.readouterr().out


def test_run_without_a_warehouse_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--warehouse", str(tmp_path / "missing.duckdb")]) == 1
    assert "nyckeltal demo" in capsys.readouterr().err


@pytest.mark.dbt
def test_money_rows_name_their_currency(
    demo_warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _scorecard(demo_warehouse, capsys)
    assert {row["currency_code"] for row in rows if row["unit"] == "currency"} == {"EUR"}
    assert {row["currency_code"] for row in rows if row["unit"] != "currency"} == {None}
    summary = {row["kpi_code"]: row for row in _scorecard(demo_warehouse, capsys, "--summary")}
    assert summary["cac"]["currency_code"] == "EUR"
    assert summary["churn_rate"]["currency_code"] is None
    capsys.readouterr()
    assert main(["scorecard", "--summary", "--warehouse", str(demo_warehouse)]) == 0
    table = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    value = summary["revenue_per_employee"]["value"]
    assert f"{value:,.2f} EUR" in table["revenue_per_employee"]
    assert "EUR" not in table["churn_rate"]
    with duckdb.connect(str(settings.published_path(demo_warehouse)), read_only=True) as db:
        currencies = db.execute("select distinct reporting_currency from marts.publication")
        assert currencies.fetchall() == [("EUR",)]


@pytest.mark.dbt
def test_the_kpi_catalogue_is_published_for_bi(demo_warehouse: Path) -> None:
    with duckdb.connect(str(settings.published_path(demo_warehouse)), read_only=True) as db:
        rows = fetch_dicts(db.execute("select * from marts.kpi_definitions order by kpi_code"))
        published = db.execute(
            "select row_count from marts.publication where table_name = 'kpi_definitions'"
        ).fetchall()
    assert [row["kpi_code"] for row in rows] == sorted(SPEC_KPI_CODES)
    assert published == [(len(SPEC_KPI_CODES),)]
    by_code = {row["kpi_code"]: row for row in rows}
    assert by_code["revenue_per_employee"] == {
        "kpi_code": "revenue_per_employee",
        "family": "revenue_per_employee",
        "family_name": "Revenue per employee",
        "kpi_name": "Revenue per employee",
        "definition": "Revenue of the month / average FTE of the month (monthly revenue per FTE).",
        "unit": "currency",
        "currency_code": "EUR",
        "unit_wording": "per FTE per month",
        "period_grains": "month",
        "segment_types": "total department product_line",
        "direction": "higher_is_better",
        "target_value": 15000.0,
        "warning_value": 10000.0,
    }
    assert by_code["churn_rate"]["currency_code"] is None
    assert by_code["market_share"]["target_value"] is None


@pytest.mark.dbt
def test_the_demo_web_funnel_converts_like_a_small_saas_site(
    demo_warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _scorecard(demo_warehouse, capsys, "--kpi", "conversion_rate")
    complete = [row for row in rows if row["is_complete_period"] and row["value"] is not None]
    totals = sorted(row["value"] for row in complete if row["segment_type"] == "total")
    assert 1 <= totals[len(totals) // 2] <= 3  # the median month
    paid_search = [
        row for row in complete if row["segment_value"] == "paid_search" and row["numerator"]
    ]
    assert len(paid_search) == len(totals)  # paid search sells every month
