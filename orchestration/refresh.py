"""Running the daily refresh in process: what `nyckeltal run` does.

The same job the schedule runs (orchestration.jobs), with a progress line per stage and,
when it fails, a summary of what failed and why.
"""

from __future__ import annotations

import sys
import time

from dagster import DagsterInstance, ExecuteInProcessResult

from nyckeltal import alerts, children
from nyckeltal.availability import unavailable_families
from nyckeltal.context import RunContext
from nyckeltal.engine import SKIPPED_ON_ENGINES
from nyckeltal.progress import show_on_console
from nyckeltal.terminal import printable
from orchestration.definitions import build_definitions
from orchestration.jobs import DAILY_REFRESH_JOB, partition_tags, refresh_run_config
from orchestration.run_failures import failure_reasons, skipped_steps


def _instance(context: RunContext) -> DagsterInstance:
    # With DAGSTER_HOME set, CLI runs are recorded where `dagster dev` shows them.
    return DagsterInstance.get() if context.settings.dagster_home else DagsterInstance.ephemeral()


def execute_daily_refresh(
    context: RunContext,
    *,
    instance: DagsterInstance | None = None,
    log_level: str = "INFO",
) -> ExecuteInProcessResult:
    """Execute the daily job in process on the context's warehouse, as of its as-of date,
    over its window of days (one run over that range of daily partitions, as a backfill from
    the UI; None: every day, a full build); return Dagster's result."""
    window = (context.window.start, context.window.end) if context.window else None
    tags = partition_tags(window)
    job = build_definitions(context.settings).resolve_job_def(DAILY_REFRESH_JOB)
    return job.execute_in_process(
        run_config=refresh_run_config(
            context.warehouse, context.as_of, log_level, full_build=window is None
        ),
        instance=instance or _instance(context),
        raise_on_error=False,
        tags={**tags, "nyckeltal/trigger": "cli"},
    )


def run_daily_refresh(context: RunContext, *, verbose: bool = False) -> bool:
    """Run the daily refresh of the context in process, the same job the schedule runs;
    return True on success. Each stage prints one line (rows, seconds); Dagster's and dbt's
    own log lines only when `verbose`. Failed steps and checks are summarised on stderr."""
    show_on_console(live=not verbose)
    started = time.perf_counter()
    window = f", days {context.window.start}..{context.window.end}" if context.window else ""
    as_of = f" as of {context.as_of}" if context.as_of else ""
    print(f"Refreshing {context.engine.describe(context.warehouse)}{as_of}{window}")
    if not context.engine.runs_every_model:
        print(SKIPPED_ON_ENGINES)
    with children.interrupt_on_sigterm():  # `kill` stops dbt and the run like Ctrl-C
        result = execute_daily_refresh(context, log_level="INFO" if verbose else "CRITICAL")
    if result.success and not skipped_steps(result):
        for family in unavailable_families(context.published):
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
    problem = alerts.alert_run_failure(result.run_id, reasons, alerts.channels_of(context))
    if problem:
        print(f"  ({problem})", file=sys.stderr)
    return False
