"""The GX project in expectations/ is exactly what the code generates from the contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from nyckeltal import settings
from nyckeltal.cli import main
from nyckeltal.contract import TABLES
from nyckeltal.quality import project
from nyckeltal.quality.mart_contracts import MartContract, mart_contracts
from nyckeltal.quality.mart_suites import (
    SCORECARD_MART,
    mart_suite_name,
    mart_suites,
    wide_mart_suite,
)
from nyckeltal.quality.severity import SEVERITIES
from nyckeltal.quality.spec import MART
from nyckeltal.scorecard import PUBLISHED_COLUMNS

COMMITTED = settings.project_dir() / "expectations"


def test_committed_project_is_what_the_generator_writes() -> None:
    expected = project.project_files()
    for relative, content in expected.items():
        path = COMMITTED / relative
        assert path.exists(), f"{relative} missing: run `python -m nyckeltal.quality.project`"
        assert path.read_text(encoding="utf-8") == content, (
            f"{relative} drifted from the contract: run `python -m nyckeltal.quality.project`"
        )
    for folder in project.GENERATED_DIRS:
        for path in (COMMITTED / folder).glob("*.json"):
            assert path.relative_to(COMMITTED).as_posix() in expected, f"stale {path}"


def test_every_raw_table_has_its_suites_and_every_expectation_a_severity() -> None:
    suites = project.suites_by_name()
    for table in TABLES:
        for suffix in ("", "__schema", "__integrity"):
            assert f"{table.schema}__{table.name}{suffix}" in suites
    for suite in suites.values():
        document = suite.to_json_dict()
        for expectation in document["expectations"]:
            assert expectation["meta"]["severity"] in SEVERITIES
            assert expectation["meta"]["reason"]


def test_generated_project_loads_in_great_expectations(tmp_path: Path) -> None:
    context = project.open_context(tmp_path)
    assert {c.name for c in context.checkpoints.all()} == {"sources", "marts"}
    assert len(context.checkpoints.get("sources").validation_definitions) == 15 * 3 + 1
    marts = context.checkpoints.get("marts").validation_definitions
    assert len(marts) == 1 + len(mart_contracts())  # + the scorecard's reconciliation
    assert len(list(context.suites.all())) == len(project.all_suites())
    # Loading and running must not rewrite the generated files.
    assert project.write_project(tmp_path) == []


def test_one_gx_context_serves_the_runs_of_a_warehouse(tmp_path: Path) -> None:
    from nyckeltal.quality.file_context import shared_context

    project.write_project(tmp_path)
    first = shared_context(tmp_path, tmp_path / "a.duckdb", changed=False)
    assert shared_context(tmp_path, tmp_path / "a.duckdb", changed=False) is first
    assert {c.name for c in first.checkpoints.all()} == {"sources", "marts"}
    # Changed project files, or another warehouse: a context of its own.
    reloaded = shared_context(tmp_path, tmp_path / "a.duckdb", changed=True)
    assert reloaded is not first
    other = shared_context(tmp_path, tmp_path / "b.duckdb", changed=False)
    assert other is not reloaded
    assert shared_context(tmp_path, tmp_path / "b.duckdb", changed=False) is other


def test_cli_validate_reports_and_exits_non_zero(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import duckdb

    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "insert into raw_crm.nps_responses values "
            "('N9', 'C1', '2024-02-05', 11, 'relationship')"
        )
    argv = ["validate", "--warehouse", str(warehouse), "--table", "crm.nps_responses"]
    assert main(argv) == 1
    output = capsys.readouterr().out
    assert "ERROR raw_crm__nps_responses, column score" in output
    assert "response_id='N9'" in output and "Data Docs: " in output
    assert main(["validate", "--warehouse", str(warehouse), "--checkpoint", "marts"]) == 0


def test_every_mart_has_a_suite_in_the_marts_checkpoint_built_from_its_yaml() -> None:
    contracts = mart_contracts()
    # 15 marts, kpi_family_availability (docs/data-contract.md#optional-tables) the 16th
    assert SCORECARD_MART in contracts and len(contracts) == 16
    marts = {suite.name: suite for suite in project.checkpoint_suites()["marts"]}
    for name, contract in contracts.items():
        if name == SCORECARD_MART:
            assert list(contract.columns) == list(
                PUBLISHED_COLUMNS
            )  # the reader's list is the contract
            continue
        suite = marts[mart_suite_name(name)]
        assert (suite.kind, suite.table) == (MART, f"marts.{name}")
        columns_check = suite.checks[0]
        assert columns_check.kwargs["column_set"] == list(contract.columns)
        assert all(check.severity == "error" and check.reason for check in suite.checks)
        not_null = {
            check.column
            for check in suite.checks
            if check.type == "expect_column_values_to_not_be_null"
            and "row_condition" not in check.kwargs
        }
        assert set(contract.grain) <= not_null


def test_every_mart_declares_its_grain_once_in_its_yaml() -> None:
    """The grain is the one unique key of the model YAML; the suite checks exactly it."""
    suites = {suite.name: suite for suite in mart_suites()}
    for name, contract in mart_contracts().items():
        assert len(contract.unique_keys) == 1, (name, contract.unique_keys)
        if name == SCORECARD_MART:
            continue
        checks = suites[mart_suite_name(name)].checks
        unique = [c for c in checks if "unique" in c.type]
        assert len(unique) == 1
        columns = unique[0].kwargs.get("column_list") or [unique[0].kwargs["column"]]
        assert tuple(columns) == contract.grain


def test_a_mart_without_a_declared_grain_is_refused() -> None:
    contract = MartContract("churn_forecast", "models/marts/x.yml", ("month_start",), ("date",))
    with pytest.raises(ValueError, match=r"churn_forecast \(models/marts/x.yml\).*found none"):
        wide_mart_suite(contract)
    two = MartContract(
        "churn_forecast",
        "models/marts/x.yml",
        ("month_start", "customer_id"),
        ("date", "varchar"),
        unique_keys=(("month_start",), ("customer_id",)),
    )
    with pytest.raises(ValueError, match=r"exactly one unique key.*\(month_start\), \(customer"):
        wide_mart_suite(two)
