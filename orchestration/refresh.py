"""Running the daily refresh in process: what `nyckeltal run` does.

The same job the schedule runs (orchestration.jobs), with a progress line per stage and,
when it fails, a summary of what failed and why.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

from dagster import DagsterInstance, ExecuteInProcessResult

from nyckeltal import alerts, children, engines, settings
from nyckeltal.availability import unavailable_families
from nyckeltal.progress import show_on_console
from nyckeltal.terminal import printable
from orchestration.definitions import build_definitions
from orchestration.jobs import DAILY_REFRESH_JOB, partition_tags, refresh_run_config
from orchestration.run_failures import failure_reasons, skipped_steps


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
    """Execute the daily job in process over the days [start, end] (one run over that range
    of daily partitions, as a backfill from the UI; default: every day, a full build) and
    return Dagster's result."""
    if (start is None) != (end is None):
        raise ValueError("start and end go together (a window of days)")
    window = (start, end) if start is not None and end is not None else None
    tags = partition_tags(window)
    job = build_definitions().resolve_job_def(DAILY_REFRESH_JOB)
    return job.execute_in_process(
        run_config=refresh_run_config(warehouse, as_of, log_level, full_build=window is None),
        instance=instance or _instance(),
        raise_on_error=False,
        tags={**tags, "nyckeltal/trigger": "cli"},
    )


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
    show_on_console(live=not verbose)
    started = time.perf_counter()
    window = f", days {start}..{end}" if start and end else ""
    where = engines.describe(warehouse)
    print(f"Refreshing {where}" + (f" as of {as_of}" if as_of else "") + window)
    if not engines.is_duckdb():
        print(engines.SKIPPED_ON_ENGINES)
    with children.interrupt_on_sigterm():  # `kill` stops dbt and the run like Ctrl-C
        result = execute_daily_refresh(
            warehouse, as_of, start=start, end=end, log_level="INFO" if verbose else "CRITICAL"
        )
    if result.success and not skipped_steps(result):
        for family in unavailable_families(settings.published_path(warehouse)):
            print(family.line())
        print(f"Refreshed in {time.perf_counter() - started:.1f} s")
        return True
    print(
        "The daily refresh failed; nothing was published unless the published_marts step "
        "succeeded, so BI tools keep reading the previous marts:",
        file=sys.stderr,
    )
    reasons = failure_reasons(result)
    for line in reasons:
        print(f"  {printable(line)}", file=sys.stderr)
    problem = alerts.alert_run_failure(result.run_id, reasons, warehouse)
    if problem:
        print(f"  ({problem})", file=sys.stderr)
    return False
