"""Both checkpoints run with Great Expectations' own API after one import (no project runner).

A user of GX opens the project with `gx_context` and calls `checkpoint.run()`: on a loaded and
built warehouse both checkpoints succeed; a row planted in a raw table whose customer does not
exist (the warehouse's own constraints refuse duplicate keys and nulls) fails the `sources`
checkpoint on that foreign key, and a dropped contract column fails its schema suite.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from shared_warehouses import copy_warehouse

MINIMAL = Path(__file__).parents[1] / "fixtures" / "minimal"


@pytest.fixture(scope="module")
def built(dbt_built_warehouse: Callable[[str | Path], Path]) -> Path:
    """The minimal dataset loaded and built by dbt (shared: tests work on copies)."""
    return dbt_built_warehouse(MINIMAL)


def failed_expectations(result: Any) -> set[tuple[str, str, str | None]]:
    """(suite, expectation type, column) of every failed expectation of a CheckpointResult."""
    failed = set()
    for validation in result.run_results.values():
        for expectation in validation.results:
            if not expectation.success:
                config = expectation.expectation_config
                failed.add((validation.suite_name, config.type, config.kwargs.get("column")))
    return failed


def test_both_checkpoints_pass_with_gx_api_on_a_valid_warehouse(
    built: Path, tmp_path: Path
) -> None:
    from nyckeltal.quality import gx_context, gx_parameters

    context = gx_context(copy_warehouse(built, tmp_path))
    sources = context.checkpoints.get("sources").run(expectation_parameters=gx_parameters())
    assert failed_expectations(sources) == set()
    assert sources.success
    assert len(sources.run_results) == 46
    marts = context.checkpoints.get("marts").run()
    assert failed_expectations(marts) == set()
    assert marts.success


def test_sources_checkpoint_fails_on_a_planted_orphan_row(built: Path, tmp_path: Path) -> None:
    from nyckeltal.quality import gx_context, gx_parameters

    warehouse = copy_warehouse(built, tmp_path)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "update raw_billing.invoices set customer_id = 'C404' where invoice_id = 'I1'"
        )
    context = gx_context(warehouse)
    result = context.checkpoints.get("sources").run(expectation_parameters=gx_parameters())
    assert not result.success
    assert failed_expectations(result) == {
        (
            "raw_billing__invoices__integrity",
            "expect_column_values_to_be_in_set",
            "customer_id_in_crm_customers",
        )
    }


def test_schema_suite_as_gx_runs_it_catches_a_missing_column(built: Path, tmp_path: Path) -> None:
    from nyckeltal.quality import gx_context, gx_parameters

    warehouse = copy_warehouse(built, tmp_path)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("alter table raw_marketing.expenses drop column category")
    context = gx_context(warehouse)
    result = context.validation_definitions.get("raw_marketing__expenses__schema").run(
        expectation_parameters=gx_parameters()
    )
    assert not result.success
    failed = {
        (r.expectation_config.type, r.expectation_config.kwargs["column"])
        for r in result.results
        if not r.success
    }
    assert ("expect_column_to_exist", "category") in failed
