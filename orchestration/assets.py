"""The assets of the daily refresh, upstream to downstream.

- `raw_<system>/<table>`: the fifteen raw contract tables (external: the loader writes
  them; observed for freshness, orchestration.freshness), keyed like the dbt sources so
  that the lineage connects.
- `dbt_models`: every dbt seed and model, built by one `dbt build` per run. A run's window
  of days is passed to dbt as NYCKELTAL_WINDOW_START / NYCKELTAL_WINDOW_END (the facts
  tagged `partitioned_daily` replace those days); without one, a full build. dbt's tests
  check the SQL and run in `make test`: its unit tests never run here, its data tests only
  with NYCKELTAL_REFRESH_DBT_TESTS (then as asset checks of their models). The window is
  run configuration, not Dagster partitions: a partitioned run of every day would record
  one materialization per asset and day (tens of thousands).
- `published_marts`: nyckeltal.pipeline.publish_marts, once the marts passed their checks.
- `kpi_alerts`: the alerts of the new scorecard (orchestration.alerts).
"""

import json
import shutil
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    AssetsDefinition,
    AssetSpec,
    Failure,
    MaterializeResult,
    MetadataValue,
    Output,
    asset,
)
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliInvocation,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from nyckeltal import failures, pipeline
from nyckeltal.contract import LOADED_AT_COLUMN, TABLES
from nyckeltal.dbt_runner import invocation_target_path
from nyckeltal.progress import stage
from nyckeltal.scorecard import COLUMNS as SCORECARD_COLUMNS
from nyckeltal.scorecard import SCORECARD_RELATION
from orchestration import alerts as kpi_alerts_rules
from orchestration.checks import raw_asset_key
from orchestration.resources import (
    AlertsResource,
    NyckeltalResource,
    is_transient_failure,
    retry_only_transient,
    stop_when_interrupted,
)

PARTITIONED_TAG = "partitioned_daily"
# dbt's tests on the raw sources are left to the blocking Great Expectations checks on the
# raw-table assets (same contract, with severities); `dbt build` outside Dagster runs them.
SOURCE_TESTS = "source:*"
EXCLUDE_DEV_ONLY_TESTS = ("--exclude-resource-type", "unit_test")


# --------------------------------------------------------------------------- raw tables


def raw_table_specs() -> list[AssetSpec]:
    """One external asset per raw contract table, keyed ["raw_<system>", "<table>"]."""
    return [
        AssetSpec(
            raw_asset_key(table),
            description=f"{table.description} Raw table {table.schema}.{table.name}, "
            "written by the loader (`nyckeltal load` / `nyckeltal demo`).",
            group_name="raw",
            kinds={"duckdb"},
            metadata={
                "contract": f"{table.system}.{table.name}",
                "primary_key": ", ".join(table.primary_key),
                "loaded_at_field": LOADED_AT_COLUMN,
            },
        )
        for table in TABLES
    ]


# --------------------------------------------------------------------------- dbt


class NyckeltalDbtTranslator(DagsterDbtTranslator):
    """Sources keyed by their warehouse schema (raw_billing/invoices), groups by layer."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type == "source":
            return "raw"
        if resource_type == "seed":
            return "seeds"
        if PARTITIONED_TAG in (dbt_resource_props.get("tags") or []):
            return "facts"
        fqn = dbt_resource_props.get("fqn") or []
        if len(fqn) > 2 and fqn[1] in {"staging", "intermediate", "marts"}:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)


def translator(data_tests: bool = True) -> NyckeltalDbtTranslator:
    """`data_tests`: dbt's data tests are asset checks (false: the build leaves them out)."""
    return NyckeltalDbtTranslator(
        settings=DagsterDbtTranslatorSettings(
            enable_asset_checks=data_tests, enable_code_references=True
        )
    )


def _dbt_failure(invocation: DbtCliInvocation, warehouse: Path) -> Failure:
    """The step's failure: a full disk or a damaged warehouse in one line (never retried),
    else dbt's error, retried when it looks transient."""
    error = invocation.get_error()
    text = str(error) if error else "dbt failed"
    explained = failures.explain(text, warehouse)
    transient = explained is None and is_transient_failure(text)
    return Failure(
        description=explained
        or ("Transient dbt failure (will be retried): " if transient else "") + text[-6000:],
        metadata={"dbt_target_path": MetadataValue.path(str(invocation.target_path))},
        allow_retries=transient,
    )


def run_dbt_build(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    nyckeltal: NyckeltalResource,
    dbt_vars: Mapping[str, str],
    data_tests: bool = False,
) -> Iterator[Any]:
    """`dbt build` of the context's selection, streaming materializations and test results.

    A failure that looks transient (a locked warehouse) may be retried by the job's retry
    policy; any other (a failing test, bad SQL) fails at once. The artifacts of a
    successful invocation are removed; a failed one's are kept for debugging.
    """
    # dbt unit tests assert fixed fixtures, not the data: they run in `make test`
    # (tests/test_dbt_unit_tests.py), never in a refresh, where a var such as as_of_date
    # would change their expected rows.
    arguments = ["build", *EXCLUDE_DEV_ONLY_TESTS]
    if not data_tests:  # the default: NYCKELTAL_REFRESH_DBT_TESTS=false
        arguments += ["--exclude-resource-type", "test"]
    if dbt_vars:
        arguments += ["--vars", json.dumps(dict(dbt_vars), sort_keys=True)]
    context.log.info(f"dbt {' '.join(arguments)} on {nyckeltal.warehouse_path()}")
    models = tests = 0
    with (
        stop_when_interrupted(),
        retry_only_transient(nyckeltal.warehouse_path()),
        stage("dbt build") as progress,
        nyckeltal.dbt_cli(dbt) as run_dbt_cli,
        nyckeltal.tool_output(),
    ):
        step, run_id = context.op_execution_context.op.name, context.run.run_id
        name = f"{step}-{run_id[:7]}-{uuid.uuid4().hex[:7]}"
        target_path = invocation_target_path(nyckeltal.run_context(), name)
        invocation = run_dbt_cli.cli(
            arguments, context=context, raise_on_error=False, target_path=target_path
        )
        for event in invocation.stream():
            if isinstance(event, Output | AssetMaterialization):
                models += 1
                progress.detail = f"{models} models and seeds so far"  # the live status line
            elif isinstance(event, AssetCheckResult):
                tests += 1
            yield event
        progress.detail = f"{models} models and seeds" + (
            f", {tests} data tests" if data_tests else " (dbt's data tests: `make test`)"
        )
        if not invocation.is_successful():
            raise _dbt_failure(invocation, nyckeltal.warehouse_path())
    keep_partial_parse(invocation.target_path)
    shutil.rmtree(invocation.target_path, ignore_errors=True)


def keep_partial_parse(invocation_target: Path) -> None:
    """Keep a successful build's partial parse where the next invocation looks for it.

    dagster-dbt gives each invocation its own target folder, seeded with the project's
    target/partial_parse.msgpack. That file is valid only for the profile (warehouse) and
    vars it was parsed with; keeping the latest build's one means the next refresh of the
    same warehouse skips dbt's full parse (several seconds). Replaced atomically: a
    concurrent invocation reads the old file or the new one.
    """
    source = invocation_target / "partial_parse.msgpack"
    if not source.exists():
        return
    destination = invocation_target.parent / source.name
    staging = destination.with_name(f".{source.name}.{invocation_target.name}")
    shutil.copyfile(source, staging)
    staging.replace(destination)


def build_dbt_assets(
    project: DbtProject,
    manifest_path: Path,
    exclude: str | None = None,
    data_tests: bool = False,
) -> AssetsDefinition:
    """Every dbt model and seed as one asset definition, built by ONE `dbt build` per run.

    The run's window (NyckeltalResource.window_start/window_end, set by `nyckeltal run
    --from/--to` and by the schedule for the previous day) is passed to dbt: the daily facts
    replace exactly those days and the models on top of them are rebuilt. Without a window,
    a full build. One invocation means one parse and one DuckDB connection per refresh.
    `exclude`: models left out (a dbt selection; the DuckDB-only ones on other engines);
    `data_tests` (NYCKELTAL_REFRESH_DBT_TESTS; default false): dbt's data tests run in the
    build as asset checks of their models; without, none runs and none is registered (a
    registered check that never reports would make Dagster skip what depends on it). They
    check the SQL, so `make test` runs them always (tests/test_dbt_data_tests.py).
    """

    @dbt_assets(
        manifest=manifest_path,
        project=project,
        exclude=f"{SOURCE_TESTS} {exclude}" if exclude else SOURCE_TESTS,
        name="dbt_models",
        dagster_dbt_translator=translator(data_tests),
    )
    def dbt_models(
        context: AssetExecutionContext, dbt: DbtCliResource, nyckeltal: NyckeltalResource
    ) -> Iterator[Any]:
        window = nyckeltal.run_context().window
        context.log.info(
            "facts window: "
            + (f"{window.start} to {window.end}" if window else "every day, full build")
        )
        yield from run_dbt_build(context, dbt, nyckeltal, nyckeltal.dbt_vars(), data_tests)

    return dbt_models


def mart_asset_keys(manifest_path: Path) -> list[AssetKey]:
    """The asset keys of the dbt models under models/marts (what gets published)."""
    with open(manifest_path, encoding="utf-8") as handle:
        manifest = json.load(handle)
    dbt_translator = translator()
    keys = []
    for node in manifest.get("nodes", {}).values():
        fqn = node.get("fqn") or []
        if node.get("resource_type") == "model" and len(fqn) > 2 and fqn[1] == "marts":
            keys.append(dbt_translator.get_asset_key(node))
    return sorted(keys, key=lambda key: key.to_user_string())


# --------------------------------------------------------------------------- publish, alert


def read_scorecard_rows(warehouse: Path) -> list[dict[str, Any]]:
    """The rows of marts.kpi_scorecard in the warehouse (none if it does not exist)."""
    if not warehouse.exists():
        return []
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        exists = connection.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'marts' and table_name = 'kpi_scorecard'"
        ).fetchone()[0]
        if not exists:
            return []
        cursor = connection.execute(
            f"select {', '.join(SCORECARD_COLUMNS)} from {SCORECARD_RELATION} "
            "order by kpi_code, segment_type, segment_value, period_grain, period_start"
        )
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def build_publish_assets(mart_keys: Sequence[AssetKey]) -> list[AssetsDefinition]:
    @asset(
        deps=list(mart_keys),
        group_name="publish",
        kinds={"duckdb"},
        description="The marts copied atomically into the published DuckDB file BI tools "
        "read (nyckeltal.pipeline.publish_marts). Runs only when every mart passed its "
        "blocking Great Expectations check, so a failed run leaves yesterday's KPIs served.",
    )
    def published_marts(
        context: AssetExecutionContext, nyckeltal: NyckeltalResource
    ) -> MaterializeResult:
        run = nyckeltal.run_context()
        published = run.published
        remedies = {published: failures.REPUBLISH}
        with (
            stop_when_interrupted(),
            retry_only_transient(published, remedies),
            stage("publish") as progress,
        ):
            path = pipeline.publish_marts(run, run_id=context.run_id)
            progress.detail = str(path)
        context.log.info(f"published the marts to {path}")
        return MaterializeResult(metadata={"path": MetadataValue.path(str(path))})

    @asset(
        deps=[published_marts],
        group_name="publish",
        description="One alert digest per refresh (orchestration.alerts): KPIs newly off "
        "track, anomalies, the largest segment call-outs, large moves and the customers with "
        "the most MRR at stake, ranked. The first run on a warehouse sets the baseline. "
        "Appended to the alert file (JSON lines), POSTed to the webhook and sent through "
        "Apprise when configured.",
    )
    def kpi_alerts(
        context: AssetExecutionContext, nyckeltal: NyckeltalResource, alerts: AlertsResource
    ) -> MaterializeResult:
        where = alerts_file_of(alerts, nyckeltal)
        with stop_when_interrupted(), retry_only_transient(where), stage("alerts") as progress:
            record, findings, rows = raise_alerts(context, nyckeltal, alerts)
            progress.detail = (
                f"{record['kind']}: {len(record['item_ids'])} finding(s)" if record else "none new"
            )
        return MaterializeResult(
            metadata={
                "digest": record["kind"] if record else "none",
                "new_alerts": len(record["item_ids"]) if record else 0,
                "findings": findings,
                "scorecard_rows": rows,
                "alerts_file": MetadataValue.path(str(alerts_file_of(alerts, nyckeltal))),
                "webhook_status": record["webhook_status"] if record else None,
                "alerts": MetadataValue.md(record["text"] if record else "none"),
            }
        )

    return [published_marts, kpi_alerts]


def alerts_file_of(alerts: AlertsResource, nyckeltal: NyckeltalResource) -> Path:
    """The configured alert file, else alerts.jsonl beside the run's warehouse."""
    if alerts.alerts_file:
        return Path(alerts.alerts_file)
    return nyckeltal.run_context().alerts_file


def raise_alerts(
    context: AssetExecutionContext, nyckeltal: NyckeltalResource, alerts: AlertsResource
) -> tuple[dict[str, Any] | None, int, int]:
    """Build the run's digest and deliver it; (the digest record or None, findings, rows)."""
    rules = kpi_alerts_rules
    channels = rules.Channels(
        alerts_file_of(alerts, nyckeltal),
        alerts.webhook_url,
        alerts.apprise_urls,
        alerts.webhook_timeout_seconds,
    )
    # On PostgreSQL and Spark the marts are read from the published snapshot just written.
    run = nyckeltal.run_context()
    source = run.warehouse if run.engine.embedded else run.published
    findings, extra, rows = rules.findings_of_warehouse(
        source, alerts.change_share, alerts.include_incomplete_periods
    )
    if not rows:
        context.log.warning(f"no {SCORECARD_RELATION} rows: no alerts evaluated")
    digest = rules.build_digest(
        findings,
        rules.read_alert_ids(channels.alerts_file),
        has_history=rules.has_alert_history(channels.alerts_file),
        context=extra,
    )
    if digest is None:
        context.log.info(f"no new KPI findings ({len(findings)} already reported)")
        return None, len(findings), rows
    try:
        record = rules.deliver(digest, channels, run_id=context.run.run_id)
    except OSError as error:  # the webhook's WebhookError, Apprise's refusal, a full disk
        # Nothing is written yet: a retry sends the same digest again (a full disk: no retry).
        explained = failures.explain(error, channels.alerts_file)
        raise Failure(
            explained or f"could not deliver the alert digest: {error}",
            allow_retries=explained is None,
        ) from error
    context.log.warning(f"{digest.title}\n{record['text']}")
    return record, len(findings), rows
