"""The daily refresh job, and running it in process (what `nyckeltal run` does).

One job for every trigger: the schedule runs it for yesterday's partition, a backfill for
a range of days (one run per range: the facts' backfill policy is single-run), and
`run_daily_refresh` — the CLI — for every partition at once, which rebuilds the facts
whole. Steps run one after the other in one process (DuckDB has a single writer), and a
failed step is retried with exponential backoff when the failure looks transient.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

from dagster import (
    AssetSelection,
    DagsterEventType,
    DagsterInstance,
    ExecuteInProcessResult,
    PartitionsDefinition,
    RetryPolicy,
    define_asset_job,
    in_process_executor,
)
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from nyckeltal import settings
from nyckeltal.progress import show_on_console
from orchestration.checks import FRESHNESS_CHECK_NAME

DAILY_REFRESH_JOB = "daily_refresh"


def build_daily_refresh_job(policy: RetryPolicy) -> UnresolvedAssetJobDefinition:
    return define_asset_job(
        DAILY_REFRESH_JOB,
        # Partitioned by the daily facts' partitions (inferred from the selection).
        selection=AssetSelection.all() | AssetSelection.all_asset_checks(),
        executor_def=in_process_executor,
        op_retry_policy=policy,
        description="Validate the raw tables, build the partition's facts and the KPI graph "
        "with dbt (tests as checks), validate and publish the marts, raise KPI alerts.",
    )


def refresh_run_config(
    warehouse: Path | None = None, as_of: dt.date | None = None, log_level: str = "INFO"
) -> dict[str, Any]:
    """Run config pointing a run at a warehouse and an as-of date."""
    resource_config: dict[str, Any] = {"as_of": as_of.isoformat() if as_of else None}
    if warehouse is not None:
        resource_config["warehouse"] = str(Path(warehouse).resolve())
    return {
        "resources": {"nyckeltal": {"config": resource_config}},
        "loggers": {"console": {"config": {"log_level": log_level}}},
    }


def partition_range(
    partitions_def: PartitionsDefinition,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> tuple[str, str]:
    """The inclusive partition keys from start (default: the first) to end (the last)."""
    keys = partitions_def.get_partition_keys()
    if not keys:
        raise ValueError("the daily partitions are empty: is NYCKELTAL_PARTITIONS_START ahead?")
    first = start.isoformat() if start else keys[0]
    last = end.isoformat() if end else keys[-1]
    first, last = max(first, keys[0]), min(last, keys[-1])
    if first > last:
        raise ValueError(f"no daily partition between {start} and {end}")
    return first, last


def _instance() -> DagsterInstance:
    # With DAGSTER_HOME set, CLI runs are recorded where `dagster dev` shows them.
    return DagsterInstance.get() if settings.dagster_home() else DagsterInstance.ephemeral()


def execute_daily_refresh(
    warehouse: Path | None = None,
    as_of: dt.date | None = None,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    instance: DagsterInstance | None = None,
    log_level: str = "INFO",
) -> ExecuteInProcessResult:
    """Execute the daily job in process over the partitions [start, end] (default: all of
    them, which rebuilds the facts whole) and return Dagster's result."""
    from orchestration.definitions import build_definitions

    definitions = build_definitions()
    job = definitions.resolve_job_def(DAILY_REFRESH_JOB)
    partitions_def = job.partitions_def
    assert partitions_def is not None
    first, last = partition_range(partitions_def, start, end)
    return job.execute_in_process(
        run_config=refresh_run_config(warehouse, as_of, log_level),
        tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last},
        instance=instance or _instance(),
        raise_on_error=False,
    )


def failure_summary(result: ExecuteInProcessResult) -> list[str]:
    """What went wrong in a run: each failed step, each failed blocking check with the data
    quality summary behind it (suite, expectation, failing count, example rows), and the
    sources that are not fresh (reported, never blocking)."""
    lines: list[str] = []
    summaries: list[str] = []
    stale: list[str] = []
    for event in result.all_events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error if event.step_failure_data else None
            message = (error.message if error else "failed").strip().splitlines()
            lines.append(f"step {event.step_key} failed: {message[0] if message else ''}")
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if evaluation is None or evaluation.passed:
                continue
            severity = evaluation.severity.value if evaluation.severity else "ERROR"
            where = evaluation.asset_key.to_user_string()
            if evaluation.check_name == FRESHNESS_CHECK_NAME:
                stale.append(f"{where} ({severity.lower()})")
                continue
            lines.append(f"check {where}:{evaluation.check_name} failed ({severity})")
            summary = evaluation.metadata.get("summary")
            text = str(summary.value).strip("`\n ") if summary is not None else ""
            if text and text not in summaries:
                summaries.append(text)
    if stale:
        lines.append("sources not fresh (reported, not blocking): " + ", ".join(stale))
    return lines + [line for text in summaries for line in text.splitlines()]


def run_daily_refresh(
    warehouse: Path,
    as_of: dt.date | None = None,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    verbose: bool = False,
) -> bool:
    """Run the daily refresh on `warehouse` in process, the same job the schedule runs;
    return True on success. Each stage prints one line (rows, seconds); Dagster's and dbt's
    own log lines only when `verbose`. Failed steps and checks are summarised on stderr."""
    show_on_console()
    started = time.perf_counter()
    window = f", days {start}..{end}" if start and end else ""
    print(f"Refreshing {warehouse}" + (f" as of {as_of}" if as_of else "") + window)
    result = execute_daily_refresh(
        warehouse, as_of, start=start, end=end, log_level="INFO" if verbose else "CRITICAL"
    )
    if result.success:
        print(f"Refreshed in {time.perf_counter() - started:.1f} s")
    else:
        print(
            "The daily refresh failed; nothing was published unless the published_marts step "
            "succeeded, so BI tools keep reading the previous marts:",
            file=sys.stderr,
        )
        reasons = failure_summary(result)
        for line in reasons:
            print(f"  {line}", file=sys.stderr)
        alert_failure(warehouse, result.run_id, reasons)
    return result.success


def alert_failure(warehouse: Path, run_id: str, reasons: list[str]) -> None:
    """Raise the failure alert digest (orchestration.alerts); a channel that cannot be
    reached is reported, never hides the run's own failure."""
    from orchestration import alerts

    try:
        alerts.notify_run_failure(run_id, reasons, alerts.channels_from_settings(warehouse))
    except (OSError, ValueError) as error:
        print(f"  (the failure alert could not be delivered: {error})", file=sys.stderr)
