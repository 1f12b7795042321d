"""Optional tables: a load without some of the contract's tables (docs/data-contract.md).

The loader checks (minimum table, references into absent tables, re-loads) run on the
minimal fixture. The end-to-end part loads the demo without HR engagement surveys, market
sizes and web events, refreshes it once (as of the demo's own as-of date) and compares its
scorecard with the full demo's: the other families' KPIs are exactly the same, the three
families that need the absent tables are reported as not available.
"""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import duckdb
import pytest
from float_rows import assert_same_rows, without_floats
from run_folders import runs_write_under
from shared_warehouses import build_once

from nyckeltal import catalogue, settings
from nyckeltal.cli import main
from nyckeltal.context import RunContext
from nyckeltal.contract import TABLES
from nyckeltal.loader import LoadError, load_directory
from nyckeltal.report import build_report

ABSENT = ("hr.engagement_responses", "marketing.market_sizes", "marketing.web_events")
UNAVAILABLE = {"engagement", "market_share", "conversion"}


def _without(source: Path, target: Path, *keys: str) -> Path:
    """A copy of the dataset folder `source` without the files of the tables `keys`."""
    stems = {key.replace(".", "__") for key in keys}
    target.mkdir(parents=True)
    for path in source.iterdir():
        if path.is_file() and path.stem not in stems:
            shutil.copyfile(path, target / path.name)
    return target


def _manifest(warehouse: Path) -> dict[str, tuple[bool, int]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            "select table_key, is_loaded, row_count from raw_nyckeltal.tables_loaded"
        ).fetchall()
    return {key: (loaded, count) for key, loaded, count in rows}


def _rows(warehouse: Path, relation: str) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(f"select count(*) from {relation}").fetchone()[0]


def _load_error(dataset: Path, tmp_path: Path, *keys: str) -> str:
    """The message of the load of `dataset` without the tables `keys`, which must fail."""
    folder = _without(dataset, tmp_path / "subset", *keys)
    with pytest.raises(LoadError) as raised:
        load_directory(
            folder, RunContext.build(warehouse=tmp_path / "w.duckdb"), progress=lambda _: None
        )
    return str(raised.value)


# --------------------------------------------------------------------------- the loader


def test_customers_are_the_minimum_with_a_one_line_error(
    minimal_dataset: Path, tmp_path: Path
) -> None:
    message = _load_error(minimal_dataset, tmp_path, "crm.customers")
    assert "\n" not in message
    assert "has no crm__customers.csv or .parquet" in message
    assert not (tmp_path / "w.duckdb").exists()


def test_a_reference_into_an_absent_table_names_both_tables(
    minimal_dataset: Path, tmp_path: Path
) -> None:
    message = _load_error(minimal_dataset, tmp_path, "hr.employees")
    assert "hr__payroll.csv, column employee_id:" in message
    assert "refer to hr.employees, which this load does not have" in message
    assert "add hr__employees.csv or .parquet" in message
    assert "leave it empty" not in message  # payroll.employee_id is required


def test_a_nullable_reference_into_an_absent_table_must_be_left_empty(
    minimal_dataset: Path, tmp_path: Path
) -> None:
    # The customers name campaigns and leads; without those files that is refused ...
    others = [table.key for table in TABLES if table.key != "crm.customers"]
    message = _load_error(minimal_dataset, tmp_path, *others)
    folder = tmp_path / "subset"
    assert sorted(path.name for path in folder.iterdir()) == ["crm__customers.csv"]
    assert "column acquisition_campaign_id:" in message and "column lead_id:" in message
    assert "or leave it empty" in message
    # ... and accepted once the references are left empty: customers alone load.
    customers = folder / "crm__customers.csv"
    lines = customers.read_text().splitlines()
    emptied = [line.rsplit(",", 2)[0] + ",," for line in lines[1:]]
    customers.write_text("\n".join([lines[0], *emptied]) + "\n")
    report = load_directory(
        folder, RunContext.build(warehouse=tmp_path / "w.duckdb"), progress=lambda _: None
    )
    assert [table.relation for table in report.tables] == ["raw_crm.customers"]
    assert len(report.absent) == 14
    assert "14 tables absent" in report.summary()


def test_money_in_a_foreign_currency_needs_the_fx_rates(
    minimal_dataset: Path, tmp_path: Path
) -> None:
    message = _load_error(minimal_dataset, tmp_path, "billing.fx_rates")
    assert "in a currency other than the reporting currency EUR, but this load has no " in message


def test_a_reload_adds_and_removes_tables_atomically(minimal_dataset: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    subset = _without(minimal_dataset, tmp_path / "subset", *ABSENT)
    load_directory(subset, RunContext.build(warehouse=warehouse), progress=lambda _: None)
    manifest = _manifest(warehouse)
    assert len(manifest) == 15
    assert {key for key, (loaded, _) in manifest.items() if not loaded} == set(ABSENT)
    assert all(count == 0 for key, (_, count) in manifest.items() if key in ABSENT)
    assert _rows(warehouse, "raw_hr.engagement_responses") == 0  # absent: written empty
    load_directory(minimal_dataset, RunContext.build(warehouse=warehouse), progress=lambda _: None)
    assert all(loaded and count > 0 for loaded, count in _manifest(warehouse).values())
    assert _rows(warehouse, "raw_hr.engagement_responses") > 0
    load_directory(
        subset, RunContext.build(warehouse=warehouse), progress=lambda _: None
    )  # omitted again: absent
    assert not _manifest(warehouse)["hr.engagement_responses"][0]
    assert _rows(warehouse, "raw_hr.engagement_responses") == 0


# --------------------------------------------------------------------------- end to end


def _as_of(published: Path) -> str:
    with duckdb.connect(str(published), read_only=True) as connection:
        row = connection.execute("select max(as_of_date) from marts.publication").fetchone()
    return str(row[0])


@pytest.fixture(scope="module")
def subset_refreshed(
    tmp_path_factory: pytest.TempPathFactory, demo_refreshed: Path
) -> tuple[Path, Path]:
    """The demo without the three tables, loaded and refreshed once as of the demo's as-of
    date: (its warehouse, the full demo's warehouse). The run's output is in run.log."""
    demo_published = settings.published_path(demo_refreshed)

    def build(folder: Path) -> None:
        demo = settings.project_dir() / "seeds" / "demo"
        dataset = _without(demo, folder / "dataset", *ABSENT)
        warehouse = folder / "nyckeltal.duckdb"
        output = io.StringIO()
        with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(output):
            runs_write_under(patch, folder, alerts=True)
            assert main(["load", str(dataset), "--warehouse", str(warehouse)]) == 0
            code = main(["run", "--as-of", _as_of(demo_published), "--warehouse", str(warehouse)])
        (folder / "run.log").write_text(output.getvalue())
        assert code == 0, output.getvalue()

    folder = build_once(tmp_path_factory, "optional_subset_refreshed", build)
    return folder / "nyckeltal.duckdb", demo_refreshed


def _scorecard(warehouse: Path) -> dict[str, list[tuple]]:
    """The published scorecard's rows by KPI code, in the order of their key."""
    with duckdb.connect(str(settings.published_path(warehouse)), read_only=True) as connection:
        rows = connection.execute("select * from marts.kpi_scorecard").fetchall()
        names = [column[0] for column in connection.description]
    by_code: dict[str, list[tuple]] = {}
    code = names.index("kpi_code")
    for row in sorted(rows, key=without_floats):
        by_code.setdefault(row[code], []).append(row)
    return by_code


@pytest.mark.dbt
def test_the_other_families_kpis_equal_the_full_demos(subset_refreshed: tuple) -> None:
    subset, demo = subset_refreshed
    subset_rows, demo_rows = _scorecard(subset), _scorecard(demo)
    families = {kpi.code: kpi.family for kpi in catalogue.kpis()}
    expected = {code for code, family in families.items() if family not in UNAVAILABLE}
    assert set(subset_rows) == expected
    for code in sorted(expected):
        assert_same_rows(subset_rows[code], demo_rows[code], code)


@pytest.mark.dbt
def test_the_missing_families_are_reported_as_not_available(subset_refreshed: tuple) -> None:
    subset, _ = subset_refreshed
    published = settings.published_path(subset)
    with duckdb.connect(str(published), read_only=True) as connection:
        availability = connection.execute(
            "select family, is_available, missing_tables from marts.kpi_family_availability"
        ).fetchall()
        publication = connection.execute("select table_name from marts.publication").fetchall()
    published_marts = {row[0] for row in publication}
    assert "kpi_family_availability" in published_marts
    assert {family for family, available, _ in availability if not available} == UNAVAILABLE
    missing = {family: tables for family, available, tables in availability if not available}
    assert missing == {
        "engagement": "hr.engagement_responses",
        "market_share": "marketing.market_sizes",
        "conversion": "marketing.web_events",
    }
    log = subset.with_name("run.log").read_text()
    assert (
        "Employee engagement (engagement) not available: no hr.engagement_responses loaded" in log
    )
    assert "Conversion (conversion) not available: no marketing.web_events loaded" in log
    assert "Market share (market_share) not available" in log


@pytest.mark.dbt
def test_the_report_has_a_card_per_family_not_available(
    subset_refreshed: tuple, tmp_path: Path
) -> None:
    subset, _ = subset_refreshed
    result = build_report(
        settings.published_path(subset), tmp_path / "report", "EUR", tmp_path / "cache"
    )
    overview = result.overview.read_text()
    for family in UNAVAILABLE:
        assert f'data-unavailable-family="{family}"' in overview
    assert "not loaded: <strong>marketing.web_events</strong>" in overview
    assert not (tmp_path / "report" / "engagement.html").exists()
