"""Asset checks: Great Expectations on the raw tables and the marts.

- `great_expectations` on every raw table (`raw_<system>/<table>`) and on every mart:
  BLOCKING. One op validates all selected tables with nyckeltal.pipeline.validate_sources
  (validate_marts for the marts) and reports one result per asset. An `error`-severity
  failure fails the check, so nothing downstream of that asset is built or published;
  `warn`-severity failures are reported (severity WARN) and the run goes on.

The raw tables' freshness checks are Dagster's own (orchestration.defs.sources); dbt's own tests
are asset checks too (dagster-dbt, see orchestration.defs.dbt).
"""

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    multi_asset_check,
)

from nyckeltal import pipeline
from nyckeltal.contract import TABLES, Table
from nyckeltal.progress import logger as progress_logger
from nyckeltal.progress import stage
from nyckeltal.quality.outcome import Failure as DataQualityFailure
from nyckeltal.quality.outcome import ValidationOutcome
from nyckeltal.quality.severity import ERROR
from orchestration.resources import NyckeltalResource, retry_only_transient, stop_when_interrupted

GX_CHECK_NAME = "great_expectations"
_MAX_FAILURES_IN_METADATA = 20


def raw_asset_key(table: Table) -> AssetKey:
    """The asset key of a raw contract table: the dbt source's schema and name."""
    return AssetKey([table.schema, table.name])


def table_of(asset_key: AssetKey) -> Table:
    for table in TABLES:
        if raw_asset_key(table) == asset_key:
            return table
    raise KeyError(f"{asset_key.to_user_string()} is not a raw contract table")


# --------------------------------------------------------------------------- outcomes


def _tokens(text: str) -> list[str]:
    return [token for token in re.split(r"[^a-z0-9]+", text.lower()) if token]


def _contains_run(haystack: list[str], needle: list[str]) -> bool:
    width = len(needle)
    return any(haystack[i : i + width] == needle for i in range(len(haystack) - width + 1))


def failure_is_error(failure: DataQualityFailure) -> bool:
    """An `error`-severity failure blocks; a `warn` one is reported only."""
    return failure.severity == ERROR


def failure_names_target(failure: DataQualityFailure, target: str) -> bool:
    """Whether a failure's suite (or table) names `target` ('billing.invoices',
    'kpi_scorecard'), however the suite spells it (raw_billing.invoices, billing__invoices)."""
    label = " ".join(value for value in (failure.suite, failure.table) if value)
    return _contains_run(_tokens(label), _tokens(target))


def failure_table_is_target(failure: DataQualityFailure, target: str) -> bool:
    """Whether a failure's table is exactly `target` ('billing.invoices'), or a relation
    named `target` in any schema ('marts.nps_monthly' for 'nps_monthly')."""
    table = failure.table or ""
    return bool(table) and (table == target or table.rsplit(".", 1)[-1] == target)


def failures_by_target(
    failures: Sequence[DataQualityFailure], targets: Sequence[str]
) -> dict[str, list[DataQualityFailure]]:
    """Assign each failure to the target its table is, else to the targets its suite names
    (so a mart whose name is part of another's cannot take its failures). A failure that
    names none of them (a cross-table suite, say) is assigned to every target: it must
    still block."""
    assigned: dict[str, list[DataQualityFailure]] = {target: [] for target in targets}
    for failure in failures:
        named = [target for target in targets if failure_table_is_target(failure, target)]
        named = named or [target for target in targets if failure_names_target(failure, target)]
        for target in named or targets:
            assigned[target].append(failure)
    return assigned


def check_result(
    asset_key: AssetKey,
    check_name: str,
    failures: Sequence[DataQualityFailure],
    outcome: ValidationOutcome,
    outcome_failed_without_details: bool = False,
) -> AssetCheckResult:
    """One check result from the failures attributed to an asset."""
    errors = [failure for failure in failures if failure_is_error(failure)]
    blocked = bool(errors) or outcome_failed_without_details
    metadata: dict[str, Any] = {
        "error_failures": len(errors),
        "warn_failures": len(failures) - len(errors),
    }
    if failures:
        metadata["failures"] = MetadataValue.md(
            "\n".join(f"- {f.headline()}" for f in failures[:_MAX_FAILURES_IN_METADATA])
        )
    if outcome.data_docs_path:
        metadata["data_docs"] = MetadataValue.path(str(outcome.data_docs_path))
    if blocked:
        metadata["summary"] = MetadataValue.md(f"```\n{outcome.summary()}\n```")
    return AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=not failures and not outcome_failed_without_details,
        severity=AssetCheckSeverity.ERROR if blocked else AssetCheckSeverity.WARN,
        metadata=metadata,
    )


def outcome_results(
    outcome: ValidationOutcome, targets: Mapping[str, AssetKey], check_name: str = GX_CHECK_NAME
) -> Iterator[AssetCheckResult]:
    """Per-asset results of a ValidationOutcome (`targets`: suite target -> asset key)."""
    failures = outcome.failures
    passed = outcome.passed
    assigned = failures_by_target(failures, list(targets))
    # An outcome that failed without a single error-severity failure to show still blocks.
    unexplained = not passed and not any(failure_is_error(f) for f in failures)
    for target, asset_key in targets.items():
        yield check_result(asset_key, check_name, assigned[target], outcome, unexplained)


# --------------------------------------------------------------------------- GX checks


def outcome_detail(outcome: ValidationOutcome, targets: int, noun: str) -> str:
    """`15 tables, 297,114 rows, 0 errors, 2 warnings` for the progress line."""
    rows_by_table: dict[str, int] = {}
    for suite in outcome.suites:
        if suite.table:
            rows_by_table[suite.table] = max(rows_by_table.get(suite.table, 0), suite.rows)
    errors, warnings = len(outcome.errors), len(outcome.warnings)
    rows = f", {sum(rows_by_table.values()):,} rows" if rows_by_table else ""
    return f"{targets} {noun}{rows}, {errors} errors, {warnings} warnings"


def report_outcome(context: AssetCheckExecutionContext, outcome: ValidationOutcome) -> None:
    """The validation summary in the run's log; its failures on the console too."""
    text = outcome.summary()
    context.log.info(text)
    if outcome.failures:
        progress_logger.info("\n".join(f"  {line}" for line in text.splitlines()[1:]))


def _gx_check(
    name: str,
    specs: list[AssetCheckSpec],
    description: str,
    targets_of: Callable[[list[AssetKey]], dict[str, AssetKey]],
    validate: Callable[[NyckeltalResource, list[str]], ValidationOutcome],
    stage_name: str,
    noun: str,
) -> AssetChecksDefinition:
    """One op running a Great Expectations validation for the selected checks of `specs`:
    `targets_of` maps the selected asset keys to suite targets, `validate` validates those."""

    @multi_asset_check(specs=specs, name=name, can_subset=True, description=description)
    def great_expectations_check(
        context: AssetCheckExecutionContext, nyckeltal: NyckeltalResource
    ) -> Iterator[AssetCheckResult]:
        selected = sorted(
            {check_key.asset_key for check_key in context.selected_asset_check_keys},
            key=lambda key: key.to_user_string(),
        )
        targets = targets_of(selected)
        with (
            stop_when_interrupted(),
            retry_only_transient(nyckeltal.warehouse_path()),
            stage(stage_name) as progress,
            nyckeltal.tool_output(),
        ):
            outcome = validate(nyckeltal, list(targets))
            progress.detail = outcome_detail(outcome, len(targets), noun)
        report_outcome(context, outcome)
        yield from outcome_results(outcome, targets)

    return great_expectations_check


def build_source_validation_checks() -> AssetChecksDefinition:
    """The blocking Great Expectations check of every raw table, in one op."""
    specs = [
        AssetCheckSpec(
            GX_CHECK_NAME,
            asset=raw_asset_key(table),
            blocking=True,
            description=f"Great Expectations suite of {table.key} (types, keys, domains, "
            "references, fx coverage, row counts). An error-severity failure stops the build.",
        )
        for table in TABLES
    ]

    return _gx_check(
        "great_expectations_sources",
        specs,
        "Validate the raw tables with Great Expectations before dbt reads them.",
        targets_of=lambda selected: {table_of(key).key: key for key in selected},
        validate=lambda nyckeltal, tables: pipeline.validate_sources(
            nyckeltal.run_context(), run_started_at=dt.datetime.now(dt.UTC), tables=tables
        ),
        stage_name="validate sources",
        noun="tables",
    )


def build_mart_validation_checks(mart_keys: Sequence[AssetKey]) -> AssetChecksDefinition:
    """The blocking Great Expectations check of every mart, in one op."""
    specs = [
        AssetCheckSpec(
            GX_CHECK_NAME,
            asset=key,
            blocking=True,
            description="Great Expectations suite of the mart (KPI ranges, keys, nulls, "
            "segment reconciliation). An error-severity failure stops publishing.",
        )
        for key in mart_keys
    ]

    return _gx_check(
        "great_expectations_marts",
        specs,
        "Validate the marts with Great Expectations before they are published.",
        targets_of=lambda selected: {key.path[-1]: key for key in selected},
        validate=lambda nyckeltal, marts: pipeline.validate_marts(nyckeltal.run_context()),
        stage_name="validate marts",
        noun="marts",
    )
