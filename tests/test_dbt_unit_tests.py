"""The dbt unit tests (`unit_tests:` in the model YAML), run here and never in a refresh.

They assert hand-computed rows on fixed fixtures, so they are development checks: the daily
refresh excludes them (`--exclude-resource-type unit_test`), where an `as_of_date` var would
change their expected rows. dbt needs the relations of a unit test's parents to exist, so the
models are first built empty (`dbt run --empty`) on a warehouse with empty raw tables.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from nyckeltal.context import RunContext
from nyckeltal.dbt_runner import run_dbt
from nyckeltal.raw_schema import create_empty_raw_tables

pytestmark = pytest.mark.dbt


def test_every_dbt_unit_test_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse = tmp_path / "unit_tests.duckdb"
    target = tmp_path / "target"
    monkeypatch.setenv("DBT_TARGET_PATH", str(target))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    with duckdb.connect(str(warehouse)) as connection:
        create_empty_raw_tables(connection)
    run_dbt(["seed", "--quiet"], RunContext.build(warehouse=warehouse))
    run_dbt(["run", "--empty", "--quiet"], RunContext.build(warehouse=warehouse))
    run_dbt(
        ["test", "--select", "test_type:unit", "--quiet"], RunContext.build(warehouse=warehouse)
    )

    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    unit_tests = [result for result in results if result["unique_id"].startswith("unit_test.")]
    assert len(unit_tests) >= 20, f"only {len(unit_tests)} unit tests ran"
    failed = [result["unique_id"] for result in unit_tests if result["status"] != "pass"]
    assert not failed, f"failing dbt unit tests: {failed}"
