"""The raw tables' freshness checks are Dagster's own (`build_last_update_freshness_checks`),
fed by observing the loader's `_loaded_at` stamp (issue 21: they were hand-written)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetCheckSeverity,
    AssetKey,
    AssetSelection,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    define_asset_job,
)

from nyckeltal.context import RunContext
from nyckeltal.contract import LOADED_AT_COLUMN, TABLES
from nyckeltal.loader import load_directory
from orchestration.defs.sources import (
    FRESHNESS_CHECK_NAME,
    LAST_UPDATED,
    build_raw_freshness_checks,
    build_raw_table_assets,
    load_metadata,
    raw_table_specs,
)
from orchestration.resources import NyckeltalResource

MINIMAL = Path(__file__).parent / "fixtures" / "minimal"


def test_load_metadata_carries_the_stamp_dagster_reads() -> None:
    stamp = dt.datetime(2024, 3, 10, 6, 30, tzinfo=dt.UTC)
    metadata = load_metadata(stamp)
    assert metadata[LAST_UPDATED].value == stamp.timestamp()
    assert LAST_UPDATED not in load_metadata(None)


# An optional table left out of the load (docs/data-contract.md#optional-tables).
LEFT_OUT = "hr__engagement_responses.csv"


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    """The minimal dataset without the engagement survey, loaded; customers 40 hours old,
    invoices without a stamp."""
    folder = tmp_path / "data"
    shutil.copytree(MINIMAL, folder, ignore=shutil.ignore_patterns(LEFT_OUT))
    warehouse = tmp_path / "w.duckdb"
    load_directory(folder, RunContext.build(warehouse=warehouse), progress=lambda line: None)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            f"update raw_crm.customers set {LOADED_AT_COLUMN} = "
            f"{LOADED_AT_COLUMN} - interval 40 hour"
        )
        connection.execute(f"alter table raw_billing.invoices drop column {LOADED_AT_COLUMN}")
    return warehouse


def test_observing_the_raw_tables_feeds_dagsters_freshness_checks(loaded: Path) -> None:
    job = define_asset_job(
        "observe_and_check",
        selection=AssetSelection.all(include_sources=True) | AssetSelection.all_asset_checks(),
    )
    defs = Definitions(
        assets=[build_raw_table_assets(raw_table_specs())],
        asset_checks=build_raw_freshness_checks(TABLES),
        jobs=[job],
        resources={"nyckeltal": NyckeltalResource(warehouse=str(loaded))},
    )
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("observe_and_check").execute_in_process(instance=instance)
    assert result.success
    checks = {
        event.event_specific_data.asset_key: event.event_specific_data
        for event in result.all_events
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
    }
    assert len(checks) == len(TABLES)
    assert {evaluation.check_name for evaluation in checks.values()} == {FRESHNESS_CHECK_NAME}
    stale = {key.to_user_string() for key, evaluation in checks.items() if not evaluation.passed}
    # The absent table is as fresh as the load that left it out, and says so.
    assert stale == {"raw_crm/customers", "raw_billing/invoices"}
    observed = {
        event.event_specific_data.asset_observation.asset_key.to_user_string(): (
            event.event_specific_data.asset_observation.metadata
        )
        for event in result.all_events
        if event.event_type == DagsterEventType.ASSET_OBSERVATION
    }
    absent = observed["raw_hr/engagement_responses"][LOADED_AT_COLUMN].value
    assert absent.startswith("absent from the load of ") and absent.endswith("(optional table)")
    assert "absent" not in observed["raw_hr/payroll"][LOADED_AT_COLUMN].value
    customers = checks[AssetKey(["raw_crm", "customers"])]
    assert customers.severity == AssetCheckSeverity.WARN
    assert "1 day, 16 hours" in (customers.description or "")  # 40 hours
