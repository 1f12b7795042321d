"""End to end: the Dagster definitions materialize the real assets on temporary warehouses.

One warehouse is loaded with the minimal fixture dataset and refreshed once per session
(`refreshed`); the other tests work on copies of it. Marked `dbt`: they run dbt.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest
from dagster import (
    AssetCheckSeverity,
    AssetKey,
    BackfillPolicy,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
    build_schedule_context,
    materialize,
)
from webhook_recorder import Webhook

from nyckeltal import pipeline
from nyckeltal.context import RunContext
from nyckeltal.quality.outcome import Failure, SuiteResult, ValidationOutcome

pytestmark = pytest.mark.dbt

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT = Path(__file__).resolve().parent.parent
FACT_KEYS = [
    AssetKey(["intermediate", "int_web_events_daily"]),
    AssetKey(["intermediate", "int_invoices_converted"]),
    AssetKey(["intermediate", "int_ad_spend_converted"]),
]
SCORECARD = AssetKey(["marts", "kpi_scorecard"])


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def orchestration_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Private dbt target and warehouse paths, quick retries."""
    root = tmp_path_factory.mktemp("orchestration")
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("NYCKELTAL_"):
                patch.delenv(name)
        patch.setenv("DBT_TARGET_PATH", str(root / "target"))
        patch.setenv("DBT_LOG_PATH", str(root / "logs"))
        patch.setenv("NYCKELTAL_WAREHOUSE", str(root / "session" / "wh.duckdb"))
        patch.setenv("NYCKELTAL_RETRIES", "1")
        patch.setenv("NYCKELTAL_RETRY_DELAY_SECONDS", "0.2")
        patch.setenv("GX_ANALYTICS_ENABLED", "false")
        yield root


def _load_minimal(warehouse: Path) -> None:
    from nyckeltal.loader import load_directory

    warehouse.parent.mkdir(parents=True, exist_ok=True)
    load_directory(
        FIXTURES / "minimal", RunContext.build(warehouse=warehouse), progress=lambda line: None
    )


@pytest.fixture(scope="session")
def refreshed(orchestration_env: Path) -> tuple[Path, ExecuteInProcessResult, float]:
    """The session warehouse after one full daily refresh (every day)."""
    from orchestration.refresh import execute_daily_refresh

    warehouse = Path(os.environ["NYCKELTAL_WAREHOUSE"])
    _load_minimal(warehouse)
    started = dt.datetime.now()
    result = execute_daily_refresh(RunContext.build(warehouse=warehouse), log_level="WARNING")
    return warehouse, result, (dt.datetime.now() - started).total_seconds()


@pytest.fixture(scope="session")
def definitions(orchestration_env: Path) -> Definitions:
    from orchestration.definitions import build_definitions

    return build_definitions()


def _copy(warehouse: Path, target_dir: Path) -> Path:
    target_dir.mkdir(parents=True, exist_ok=True)
    copy = target_dir / "wh.duckdb"
    shutil.copyfile(warehouse, copy)
    return copy


def _snapshot(warehouse: Path, schemas: tuple[str, ...] = ("marts",)) -> dict[str, list[tuple]]:
    """Every table of the schemas, rows in a total order: equal snapshots are equal bit for
    bit (floats compare exactly)."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({', '.join('?' for _ in schemas)}) "
            "and table_type = 'BASE TABLE' order by 1, 2",
            list(schemas),
        ).fetchall()
        return {
            f"{schema}.{name}": connection.execute(
                f'select * from {schema}."{name}" order by all'
            ).fetchall()
            for schema, name in tables
        }


def _materialized(result: ExecuteInProcessResult) -> dict[AssetKey, set[str | None]]:
    keys: dict[AssetKey, set[str | None]] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        keys.setdefault(materialization.asset_key, set()).add(materialization.partition)
    return keys


def _check_evaluations(result: ExecuteInProcessResult) -> dict[tuple[str, str], Any]:
    return {
        (e.event_specific_data.asset_key.to_user_string(), e.event_specific_data.check_name): (
            e.event_specific_data
        )
        for e in result.all_events
        if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
    }


# --------------------------------------------------------------------------- definitions


def test_definitions_load_with_no_environment_and_prepare_the_manifest(
    orchestration_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from orchestration.definitions import build_definitions

    for name in list(os.environ):
        if name.startswith("NYCKELTAL_"):
            monkeypatch.delenv(name)
    # A fresh clone: no manifest yet in the target path.
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "fresh-target"))
    defs = build_definitions()
    assert (tmp_path / "fresh-target" / "manifest.json").exists()

    graph = defs.resolve_asset_graph()
    keys = set(graph.get_all_asset_keys())
    assert AssetKey(["raw_billing", "invoices"]) in keys
    assert {SCORECARD, AssetKey("published_marts"), AssetKey("kpi_alerts"), *FACT_KEYS} <= keys
    # The raw tables feed staging: the lineage connects.
    staging = graph.get(AssetKey(["staging", "stg_billing__invoices"]))
    assert AssetKey(["raw_billing", "invoices"]) in staging.parent_keys
    # GX checks are blocking on every raw table and mart; dbt's data tests are checks only
    # when the settings put them in the refresh (by default `make test` runs them).
    check_specs = {
        (spec.asset_key, spec.name): spec
        for checks in defs.asset_checks or []
        for spec in checks.check_specs
    }
    assert check_specs[(AssetKey(["raw_billing", "invoices"]), "great_expectations")].blocking
    assert check_specs[(SCORECARD, "great_expectations")].blocking
    # Freshness: Dagster's own check, on the raw tables' observed load stamps.
    assert (AssetKey(["raw_marketing", "web_events"]), "freshness_check") in check_specs
    assert not any("unique" in key.name for key in graph.asset_check_keys)
    monkeypatch.setenv("NYCKELTAL_REFRESH_DBT_TESTS", "true")
    with_tests = build_definitions().resolve_asset_graph()
    assert any(
        key.asset_key == SCORECARD for key in with_tests.asset_check_keys if "unique" in key.name
    )
    monkeypatch.delenv("NYCKELTAL_REFRESH_DBT_TESTS")
    # The embedded DuckDB default, and the daily job and schedule.
    assert defs.resources["nyckeltal"].warehouse == str(PROJECT / "warehouse" / "nyckeltal.duckdb")
    # ONE job for every trigger, partitioned by day through the incremental facts, and
    # only they: every other asset is unpartitioned.
    from orchestration.defs.dbt import DAILY

    job = defs.resolve_job_def("daily_refresh")
    assert job.partitions_def == DAILY
    manifest = json.loads((tmp_path / "fresh-target" / "manifest.json").read_text())
    incremental = {
        AssetKey(["intermediate", node["name"]])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["config"]["materialized"] == "incremental"
        and "partitioned_daily" in node["tags"]  # the daily facts, not the forecast selection
    }
    assert set(FACT_KEYS) < incremental
    partitioned = {key for key in keys if graph.get(key).partitions_def is not None}
    assert partitioned == incremental
    assert all(graph.get(key).partitions_def == DAILY for key in FACT_KEYS)
    assert graph.get(FACT_KEYS[0]).backfill_policy == BackfillPolicy.single_run()
    schedule = defs.resolve_schedule_def("daily_refresh_schedule")
    assert (schedule.cron_schedule, schedule.execution_timezone) == (
        "0 6 * * *",
        "Europe/Stockholm",
    )


def test_schedule_requests_yesterdays_partition(definitions: Definitions) -> None:
    schedule = definitions.resolve_schedule_def("daily_refresh_schedule")
    tick = dt.datetime(2024, 1, 10, 6, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
    with DagsterInstance.ephemeral() as instance:
        context = build_schedule_context(
            instance=instance,
            scheduled_execution_time=tick,
            repository_def=definitions.get_repository_def(),
        )
        result = schedule.evaluate_tick(context)
    (request,) = result.run_requests or []
    assert request.partition_key == "2024-01-09"
    assert request.run_config["resources"]["nyckeltal"]["config"]["full_build"] is False
    assert request.run_key == "2024-01-09"


# --------------------------------------------------------------------------- runs


def test_daily_refresh_builds_checks_publishes_and_alerts(
    refreshed: tuple[Path, ExecuteInProcessResult, float],
) -> None:
    warehouse, result, seconds = refreshed
    print(f"full daily refresh: {seconds:.1f} s")
    assert result.success
    materialized = _materialized(result)
    for key in (*FACT_KEYS, SCORECARD, AssetKey("published_marts"), AssetKey("kpi_alerts")):
        assert key in materialized, key
    checks = _check_evaluations(result)
    assert checks[("raw_billing/invoices", "great_expectations")].passed
    assert checks[("marts/kpi_scorecard", "great_expectations")].passed
    # Loaded moments ago: fresh (freshness is when the data arrived, not its 2024 dates).
    assert checks[("raw_billing/invoices", "freshness_check")].passed
    assert not any(name.startswith("unique") for _, name in checks)  # dbt tests: make test
    published = warehouse.with_name("nyckeltal_published.duckdb")
    with duckdb.connect(str(published), read_only=True) as connection:
        published_rows = connection.execute("select count(*) from marts.kpi_scorecard").fetchone()
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        built_rows = connection.execute("select count(*) from marts.kpi_scorecard").fetchone()
    assert published_rows == built_rows and built_rows[0] > 0
    (digest,) = warehouse.with_name("alerts.jsonl").read_text().splitlines()
    assert json.loads(digest)["kind"] == "baseline"  # the first run sets the baseline


def test_a_one_day_window_refreshes_that_day_only(
    refreshed: tuple[Path, ExecuteInProcessResult, float],
    definitions: Definitions,
    tmp_path: Path,
) -> None:
    from orchestration.jobs import refresh_run_config

    warehouse = _copy(refreshed[0], tmp_path)
    with duckdb.connect(str(warehouse)) as connection:
        # Corrections land for two days; only the partition run's day is refreshed.
        connection.execute("update raw_billing.invoices set amount = 2000 where invoice_id = 'I1'")
        connection.execute("update raw_billing.invoices set amount = 98 where invoice_id = 'I3'")
    job = definitions.resolve_job_def("daily_refresh")
    day = dt.date(2024, 1, 4)
    result = job.execute_in_process(
        asset_selection=FACT_KEYS,
        partition_key=day.isoformat(),
        run_config=refresh_run_config(warehouse, log_level="WARNING"),
        instance=DagsterInstance.ephemeral(),
    )
    assert result.success
    assert _materialized(result) == {key: {"2024-01-04"} for key in FACT_KEYS}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        amounts = dict(
            connection.execute(
                "select invoice_id, original_amount from intermediate.int_invoices_converted"
            ).fetchall()
        )
    assert amounts["I1"] == 2000  # issued 2024-01-04: refreshed
    assert amounts["I3"] == 49  # issued 2024-01-10: outside the window, untouched


def test_a_failing_blocking_check_stops_the_marts(
    refreshed: tuple[Path, ExecuteInProcessResult, float],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from orchestration.refresh import execute_daily_refresh

    warehouse = _copy(refreshed[0], tmp_path)
    before = _snapshot(warehouse)
    bad = Failure(
        suite="raw_billing__invoices",
        table="billing.invoices",
        expectation="expect_column_values_to_be_in_set",
        kwargs={"column": "status"},
        severity="error",
        failing_count=1,
        checked_count=10,
    )

    def failing_sources(*args: Any, **kwargs: Any) -> ValidationOutcome:
        suite = SuiteResult("raw_billing__invoices", "billing.invoices", "rows", failures=[bad])
        return ValidationOutcome("sources", [suite], data_docs_path=None, run_id="test")

    monkeypatch.setattr(pipeline, "validate_sources", failing_sources, raising=False)
    result = execute_daily_refresh(RunContext.build(warehouse=warehouse), log_level="CRITICAL")
    assert not result.success
    check = _check_evaluations(result)[("raw_billing/invoices", "great_expectations")]
    assert not check.passed and check.severity == AssetCheckSeverity.ERROR
    materialized = _materialized(result)
    assert not any(key.path[0] in {"staging", "intermediate", "marts"} for key in materialized)
    assert AssetKey("published_marts") not in materialized
    assert not warehouse.with_name("nyckeltal_published.duckdb").exists()
    assert _snapshot(warehouse) == before


def test_a_backfill_of_three_days_twice_gives_identical_marts(
    refreshed: tuple[Path, ExecuteInProcessResult, float],
) -> None:
    from orchestration.refresh import execute_daily_refresh

    # On the session warehouse itself (its dbt partial parse matches): a backfill must
    # leave it exactly as the full refresh built it, which this test asserts.
    warehouse = refreshed[0]
    full_build = _snapshot(warehouse, ("marts", "intermediate"))
    snapshots = []
    for _ in range(2):
        window = (dt.date(2024, 1, 2), dt.date(2024, 1, 4))
        context = RunContext.build(warehouse=warehouse, window=window)
        result = execute_daily_refresh(context, log_level="WARNING")
        assert result.success
        materialized = _materialized(result)
        # one run over three daily partitions of the facts; the marts are unpartitioned
        days = {"2024-01-02", "2024-01-03", "2024-01-04"}
        assert all(materialized[key] == days for key in FACT_KEYS)
        assert materialized[SCORECARD] == {None}
        snapshots.append(_snapshot(warehouse, ("marts", "intermediate")))
    assert snapshots[0] == snapshots[1]
    assert snapshots[0] == full_build  # a re-run day gives the same scorecard, bit for bit
    assert snapshots[0]["marts.kpi_scorecard"]
    published = _snapshot(warehouse.with_name("nyckeltal_published.duckdb"))
    assert published["marts.kpi_scorecard"] == snapshots[0]["marts.kpi_scorecard"]


def test_a_kpi_pushed_off_track_raises_an_alert_and_calls_the_webhook(
    refreshed: tuple[Path, ExecuteInProcessResult, float],
    definitions: Definitions,
    tmp_path: Path,
    webhook: Webhook,
) -> None:
    from orchestration.defs.alerts import build_kpi_alerts_asset
    from orchestration.jobs import refresh_run_config
    from orchestration.resources import AlertsResource

    warehouse = _copy(refreshed[0], tmp_path)
    alerts_file = tmp_path / "alerts" / "alerts.jsonl"
    resources = {
        "nyckeltal": definitions.resources["nyckeltal"],
        "alerts": AlertsResource(
            alerts_file=str(alerts_file),
            webhook_url=webhook.url(),
        ),
    }
    asset = build_kpi_alerts_asset()
    run_config = refresh_run_config(warehouse, log_level="WARNING")
    # The first run on a warehouse sets the baseline: one digest, no alert per row.
    baseline = materialize([asset], resources=resources, run_config=run_config)
    with duckdb.connect(str(warehouse)) as connection:
        kpi, segment_type, segment_value, grain, latest, previous = connection.execute(
            """
            select kpi_code, segment_type, segment_value, period_grain,
                max(period_start), list(period_start order by period_start desc)[2]
            from marts.kpi_scorecard
            where is_complete_period and not is_suppressed and value is not null
            group by all
            having count(*) >= 2
            order by all
            limit 1
            """
        ).fetchone()
        key = [kpi, segment_type, segment_value, grain]
        where = "kpi_code = ? and segment_type = ? and segment_value = ? and period_grain = ?"
        # Push the KPI off track in its latest complete period, on track the one before.
        connection.execute(
            f"update marts.kpi_scorecard set status = 'on_track' where {where} "
            "and period_start = ?",
            [*key, previous],
        )
        connection.execute(
            f"update marts.kpi_scorecard set status = 'off_track' where {where} "
            "and period_start = ?",
            [*key, latest],
        )
    first = materialize([asset], resources=resources, run_config=run_config)
    again = materialize([asset], resources=resources, run_config=run_config)

    assert baseline.success and first.success and again.success
    records = [json.loads(line) for line in alerts_file.read_text().splitlines()]
    assert [r["kind"] for r in records] == ["baseline", "digest"]
    pushed = f"became_off_track|{kpi}|{segment_type}|{segment_value}|{grain}|{latest.isoformat()}"
    assert records[1]["item_ids"] == [pushed]
    assert pushed not in records[0]["item_ids"]
    received = webhook.bodies
    assert len(received) == 2  # baseline and digest; the third run found nothing new
    assert [r["kind"] for r in received] == ["baseline", "digest"]
    assert received[1]["item_ids"] == [pushed]
    assert "KPIs that went off track (1):" in received[1]["text"]
    metadata = first.asset_materializations_for_node("kpi_alerts")[0].metadata
    assert metadata["new_alerts"].value == 1
    assert metadata["digest"].value == "digest"
    assert again.asset_materializations_for_node("kpi_alerts")[0].metadata["new_alerts"].value == 0


def test_publishing_to_a_full_disk_fails_at_once_naming_the_disk(
    refreshed: tuple[Path, ExecuteInProcessResult, float],
    definitions: Definitions,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """A real full disk (a tmpfs the test mounts), else ENOSPC injected at the boundary."""
    from full_disk import fill, mounted_full_disk

    from orchestration.jobs import refresh_run_config
    from orchestration.run_failures import failure_summary

    warehouse = _copy(refreshed[0], tmp_path / "wh")
    with mounted_full_disk(tmp_path / "disk") as disk:
        published = (disk or tmp_path) / "published.duckdb"
        if disk is None:

            def disk_full(*args: Any, **kwargs: Any) -> Path:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(published))

            monkeypatch.setattr(pipeline, "publish_marts", disk_full)
        else:
            fill(disk)
        run_config = refresh_run_config(warehouse, log_level="CRITICAL")
        run_config["resources"]["nyckeltal"]["config"]["published"] = str(published)
        result = definitions.resolve_job_def("daily_refresh").execute_in_process(
            run_config=run_config,
            asset_selection=[AssetKey("published_marts")],
            instance=DagsterInstance.ephemeral(),
            raise_on_error=False,
        )
        assert not published.exists()
    assert not result.success
    events = {event.event_type for event in result.all_events}
    assert DagsterEventType.STEP_UP_FOR_RETRY not in events  # NYCKELTAL_RETRIES=1 here
    (line,) = failure_summary(result)
    assert line.startswith(f"step published_marts failed: the disk holding {published.parent}/")
    assert line.endswith(" is full (No space left on device)")
