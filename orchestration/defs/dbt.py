"""The dbt models and seeds as one asset definition (`dbt_models`), built by ONE `dbt build`
per run.

The incremental facts (tag `partitioned_daily`, models/intermediate/facts) and only they
have daily partitions (DAILY, with a single-run backfill policy, as dagster-open-platform's
dbt assets): a run over a partition or a range of them (the schedule, `nyckeltal run
--from/--to`, a backfill from the UI) passes its days to dbt as NYCKELTAL_WINDOW_START /
NYCKELTAL_WINDOW_END, and the facts replace those days; every other model is unpartitioned
and rebuilt on top. A full build (NyckeltalResource.full_build, `nyckeltal run` without
--from/--to) passes no window. dbt's tests check the SQL and run in `make test`: its unit
tests never run here, its data tests only with NYCKELTAL_REFRESH_DBT_TESTS (then as asset
checks of their models).
"""

import datetime as dt
import json
import shutil
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    DailyPartitionsDefinition,
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
from nyckeltal.dbt_runner import invocation_target_path
from nyckeltal.engine import FORESIGHT_MARTS, FORESIGHT_MARTS_SELECTION, Engine
from nyckeltal.progress import stage
from orchestration.resources import (
    NyckeltalResource,
    is_transient_failure,
    retry_only_transient,
    stop_when_interrupted,
)

PARTITIONED_TAG = "partitioned_daily"
# The first day a window can start (a full build covers every day, however old); today's
# partition exists (end_offset=1) so that a window may end today.
FIRST_DAY = "2020-01-01"
DAILY = DailyPartitionsDefinition(start_date=FIRST_DAY, end_offset=1)
# dbt's tests on the raw sources are left to the blocking Great Expectations checks on the
# raw-table assets (same contract, with severities); `dbt build` outside Dagster runs them.
SOURCE_TESTS = "source:*"
EXCLUDE_DEV_ONLY_TESTS = ("--exclude-resource-type", "unit_test")


# --------------------------------------------------------------------------- dbt


class NyckeltalDbtTranslator(DagsterDbtTranslator):
    """Sources keyed by their warehouse schema (raw_billing/invoices), groups by layer.
    `foresight_key`: the asset that writes the forecast tables outside dbt (engines without
    dbt Python models), on which the marts reading them (FORESIGHT_MARTS) depend."""

    def __init__(
        self,
        settings: DagsterDbtTranslatorSettings | None = None,
        foresight_key: AssetKey | None = None,
    ) -> None:
        super().__init__(settings=settings)
        self.foresight_key = foresight_key

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> AssetSpec:
        """The incremental facts are daily partitioned; every other node is not."""
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if PARTITIONED_TAG in (props.get("tags") or []):
            return spec.replace_attributes(partitions_def=DAILY)
        if self.foresight_key is not None and props["name"] in FORESIGHT_MARTS:
            return spec.merge_attributes(deps=[self.foresight_key])
        return spec

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


def translator(
    data_tests: bool = True, foresight_key: AssetKey | None = None
) -> NyckeltalDbtTranslator:
    """`data_tests`: dbt's data tests are asset checks (false: the build leaves them out);
    `foresight_key`: see NyckeltalDbtTranslator."""
    return NyckeltalDbtTranslator(
        settings=DagsterDbtTranslatorSettings(
            enable_asset_checks=data_tests, enable_code_references=True
        ),
        foresight_key=foresight_key,
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


@dataclass(frozen=True)
class DbtStep:
    """One `dbt build` of the refresh: its asset definition's name and dbt selection. On an
    engine where the refresh computes the forecast tables itself, dbt builds in two steps
    (`split`): everything but the forecast marts, then (after `foresight_tables`) those marts;
    each step's tests run only with the models they test (`--indirect-selection buildable`)."""

    name: str = "dbt_models"
    label: str = "dbt build"
    select: str = "fqn:*"
    exclude: str | None = None
    split: bool = False
    foresight_key: AssetKey | None = None

    def flags(self) -> tuple[str, ...]:
        return ("--indirect-selection", "buildable") if self.split else ()


def run_dbt_build(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    nyckeltal: NyckeltalResource,
    dbt_vars: Mapping[str, str],
    data_tests: bool = False,
    window: tuple[dt.date, dt.date] | None = None,
    step: DbtStep | None = None,
) -> Iterator[Any]:
    """`dbt build` of the context's selection, streaming materializations and test results.

    A failure that looks transient (a locked warehouse) may be retried by the job's retry
    policy; any other (a failing test, bad SQL) fails at once. The artifacts of a
    successful invocation are removed; a failed one's are kept for debugging.
    """
    # dbt unit tests assert fixed fixtures, not the data: they run in `make test`
    # (tests/test_dbt_unit_tests.py), never in a refresh, where a var such as as_of_date
    # would change their expected rows.
    step = step or DbtStep()
    arguments = ["build", *EXCLUDE_DEV_ONLY_TESTS, *step.flags()]
    if not data_tests:  # the default: NYCKELTAL_REFRESH_DBT_TESTS=false
        arguments += ["--exclude-resource-type", "test"]
    if dbt_vars:
        arguments += ["--vars", json.dumps(dict(dbt_vars), sort_keys=True)]
    context.log.info(f"dbt {' '.join(arguments)} on {nyckeltal.warehouse_path()}")
    models = tests = 0
    with (
        stop_when_interrupted(),
        retry_only_transient(nyckeltal.warehouse_path()),
        stage(step.label) as progress,
        nyckeltal.dbt_cli(dbt, window) as run_dbt_cli,
        nyckeltal.tool_output(),
    ):
        step, run_id = context.op_execution_context.op.name, context.run.run_id
        name = f"{step}-{run_id[:7]}-{uuid.uuid4().hex[:7]}"
        target_path = invocation_target_path(nyckeltal.run_context(window), name)
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


def dbt_steps(engine: Engine, foresight_key: AssetKey) -> list[DbtStep]:
    """The dbt builds of a refresh on `engine`: one, or two around the asset that writes the
    forecast tables (`foresight_key`) where dbt cannot compute them."""
    exclude = " ".join(engine.dbt_exclusions()) or None
    if engine.runs_every_model:
        return [DbtStep(exclude=exclude)]
    return [
        DbtStep(exclude=exclude, split=True),
        DbtStep(
            name="dbt_foresight_marts",
            label="dbt build (forecast marts)",
            select=FORESIGHT_MARTS_SELECTION,
            split=True,
            foresight_key=foresight_key,
        ),
    ]


def build_dbt_assets(
    project: DbtProject,
    manifest_path: Path,
    step: DbtStep | None = None,
    data_tests: bool = False,
) -> AssetsDefinition:
    """Every dbt model and seed as one asset definition, built by ONE `dbt build` per run.

    The run's partition range (the schedule: the previous day; `nyckeltal run --from/--to`
    and backfills from the UI: their days, in ONE run each, BackfillPolicy.single_run) is
    passed to dbt as the window: the daily facts replace exactly those days and the models
    on top of them are rebuilt. A full build (NyckeltalResource.full_build) passes no
    window. One invocation means one parse and one DuckDB connection per refresh.
    `data_tests` (NYCKELTAL_REFRESH_DBT_TESTS; default false): dbt's data tests run in the
    build as asset checks of their models; without, none runs and none is registered (a
    registered check that never reports would make Dagster skip what depends on it). They
    check the SQL, so `make test` runs them always (tests/test_dbt_data_tests.py). `step`:
    one of two builds (DbtStep; default: the one build of every model).
    """
    step = step or DbtStep()
    excluded = f"{SOURCE_TESTS} {step.exclude}" if step.exclude else SOURCE_TESTS

    @dbt_assets(
        manifest=manifest_path,
        project=project,
        select=step.select,
        exclude=excluded,
        name=step.name,
        dagster_dbt_translator=translator(data_tests, step.foresight_key),
        backfill_policy=BackfillPolicy.single_run(),
    )
    def dbt_models(
        context: AssetExecutionContext, dbt: DbtCliResource, nyckeltal: NyckeltalResource
    ) -> Iterator[Any]:
        window = run_window(context, nyckeltal)
        context.log.info(
            "facts window: "
            + (f"{window[0]} to {window[1]}" if window else "every day, full build")
        )
        yield from run_dbt_build(
            context, dbt, nyckeltal, nyckeltal.dbt_vars(), data_tests, window, step
        )

    return dbt_models


def run_window(
    context: AssetExecutionContext, nyckeltal: NyckeltalResource
) -> tuple[dt.date, dt.date] | None:
    """The days (inclusive) whose rows the facts replace: the run's partition range; None
    (every day) for a full build or a run without partitions."""
    partitioned = context.has_partition_key or context.has_partition_key_range
    if nyckeltal.full_build or not partitioned:
        return None
    keys = context.partition_key_range
    return dt.date.fromisoformat(keys.start), dt.date.fromisoformat(keys.end)


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
