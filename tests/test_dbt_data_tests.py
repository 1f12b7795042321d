"""dbt's data tests (not_null, unique, accepted_values, relationships, the singular tests of
tests/dbt/) run here, on the demo: they check the SQL, so `make test` runs them and the daily
refresh leaves them out by default (orchestration.defs.dbt.dbt_exclusions; the refresh is gated by
the Great Expectations suites of the sources and marts). The session fixture
`dbt_built_warehouse` builds the demo with `dbt build` (every data test, no unit test) and fails
on any failing test; this file asserts that they really ran. The hard-case dataset of the KPI
oracle tests runs them too (tests/test_kpi_oracle.py).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.dbt


def test_every_dbt_data_test_ran_and_passed_on_the_demo(
    dbt_built_warehouse: Callable[[str | Path], Path],
) -> None:
    warehouse = dbt_built_warehouse("demo")
    run_results = warehouse.parent / "target" / "run_results.json"
    results = json.loads(run_results.read_text(encoding="utf-8"))["results"]
    tests = [result for result in results if result["unique_id"].startswith("test.")]
    statuses = Counter(result["status"] for result in tests)
    assert len(tests) >= 500, f"only {len(tests)} data tests ran"
    assert statuses == {"pass": len(tests)}, statuses
    # Every layer is covered: the sources, staging, intermediate models and marts.
    manifest = json.loads((run_results.parent / "manifest.json").read_text(encoding="utf-8"))
    tested = {
        dependency
        for result in tests
        for dependency in manifest["nodes"][result["unique_id"]]["depends_on"]["nodes"]
    }
    assert any(name.startswith("source.") for name in tested)
    for model in ("stg_billing__invoices", "int_customer_mrr_monthly", "kpi_scorecard"):
        assert f"model.nyckeltal.{model}" in tested, model
    # The build ran with the project's DuckDB settings (on-run-start macro tune_duckdb).
    hooks = " ".join(
        result.get("compiled_code") or ""
        for result in results
        if result["unique_id"].startswith("operation.nyckeltal")
    )
    assert "set global memory_limit = '" in hooks and "set global threads = '" in hooks
