"""`dbt source freshness` on a loaded warehouse: it measures the loader's `_loaded_at` stamp
(a timestamp, so dbt accepts it), passes right after a load, warns after 36 hours and errors
after 72 (issue 21: it used to fail on date fields and measured business dates)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from nyckeltal.context import RunContext
from nyckeltal.contract import LOADED_AT_COLUMN, TABLES
from nyckeltal.dbt_runner import DbtError, run_dbt
from nyckeltal.loader import load_directory

MINIMAL = Path(__file__).parent / "fixtures" / "minimal"


def _age(warehouse: Path, relation: str, hours: int) -> None:
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            f"update {relation} set {LOADED_AT_COLUMN} = {LOADED_AT_COLUMN} - interval {hours} hour"
        )


@pytest.mark.dbt
def test_source_freshness_passes_after_a_load_and_warns_and_errors_on_stale_tables(
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "nyckeltal.duckdb"
    load_directory(MINIMAL, RunContext.build(warehouse=warehouse), progress=lambda line: None)
    _age(warehouse, "raw_crm.customers", 40)
    _age(warehouse, "raw_billing.invoices", 80)
    output = tmp_path / "sources.json"
    with pytest.raises(DbtError, match="source freshness"):
        run_dbt(
            ["source", "freshness", "--output", str(output)],
            RunContext.build(warehouse=warehouse),
            quiet=True,
        )
    results = json.loads(output.read_text())["results"]
    status = {result["unique_id"].split(".", 2)[2]: result["status"] for result in results}
    expected = {table.key: "pass" for table in TABLES}
    expected.update({"crm.customers": "warn", "billing.invoices": "error"})
    assert status == expected
    ages = {
        result["unique_id"].split(".", 2)[2]: result["max_loaded_at_time_ago_in_s"]
        for result in results
    }
    assert 40 * 3600 <= ages["crm.customers"] < 41 * 3600
    assert ages["marketing.web_events"] < 3600
