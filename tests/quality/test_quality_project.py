"""The GX project in expectations/ is exactly what the code generates from the contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from nyckeltal import settings
from nyckeltal.cli import main
from nyckeltal.contract import TABLES
from nyckeltal.quality import project
from nyckeltal.quality.severity import SEVERITIES

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
    assert len(list(context.suites.all())) == len(project.all_suites())
    # Loading and running must not rewrite the generated files.
    assert project.write_project(tmp_path) == []


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
