"""The dbt models and seeds as one asset definition (`dbt_models`), built by ONE `dbt build`
per run.

A run's window of days is passed to dbt as NYCKELTAL_WINDOW_START / NYCKELTAL_WINDOW_END
(the facts tagged `partitioned_daily` replace those days); without one, a full build. dbt's
tests check the SQL and run in `make test`: its unit tests never run here, its data tests
only with NYCKELTAL_REFRESH_DBT_TESTS (then as asset checks of their models).
"""

import json
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    AssetsDefinition,
    Failure,
    MetadataValue,
    Output,
)
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliInvocation,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from nyckeltal import failures
from nyckeltal.progress import stage
from orchestration.resources import (
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
        nyckeltal.dbt_environment(),
        nyckeltal.tool_output(),
    ):
        invocation = dbt.cli(arguments, context=context, raise_on_error=False)
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
        window = nyckeltal.window()
        context.log.info(
            "facts window: "
            + (f"{window[0]} to {window[1]}" if window else "every day, full build")
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
