"""Running the daily refresh in process: what `nyckeltal run` does.

The same job the schedule runs (orchestration.jobs), with a progress line per stage and,
when it fails, a summary of what failed and why.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance, ExecuteInProcessResult

from nyckeltal import children, failures
from nyckeltal.context import RunContext
from nyckeltal.engine import SKIPPED_ON_ENGINES
from nyckeltal.progress import show_on_console
from nyckeltal.terminal import printable
from orchestration import alerts
from orchestration.definitions import build_definitions
from orchestration.freshness import FRESHNESS_CHECK_NAME
from orchestration.jobs import DAILY_REFRESH_JOB, refresh_run_config
from orchestration.resources import step_failure_reason


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
    over its window of days (None: every day, a full build); return Dagster's result."""
    window = (context.window.start, context.window.end) if context.window else None
    job = build_definitions(context.settings).resolve_job_def(DAILY_REFRESH_JOB)
    return job.execute_in_process(
        run_config=refresh_run_config(context.warehouse, context.as_of, log_level, window),
        instance=instance or _instance(context),
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
            lines.append(f"step {event.step_key} failed: {step_failure_reason(event)}")
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


def skipped_steps(result: ExecuteInProcessResult) -> list[str]:
    """The steps Dagster skipped: an upstream asset was not materialized (a dbt model that
    did not run). Dagster counts such a run a success; for a refresh it is a failure, since
    what the skipped steps check or publish did not happen."""
    return [
        f"step {event.step_key} was skipped: an asset it needs was not materialized"
        for event in result.all_events
        if event.event_type == DagsterEventType.STEP_SKIPPED
    ]


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
    skipped = skipped_steps(result)
    if result.success and not skipped:
        print(f"Refreshed in {time.perf_counter() - started:.1f} s")
        return True
    print(
        "The daily refresh failed; nothing was published unless the published_marts step "
        "succeeded, so BI tools keep reading the previous marts:",
        file=sys.stderr,
    )
    reasons = failure_summary(result) + skipped
    for line in reasons:
        print(f"  {printable(line)}", file=sys.stderr)
    alert_failure(context.warehouse, result.run_id, reasons)
    return False


def alert_failure(warehouse: Path, run_id: str, reasons: list[str]) -> None:
    """Raise the failure alert digest (orchestration.alerts); a channel that cannot be
    reached is reported, never hides the run's own failure."""
    try:
        alerts.notify_run_failure(run_id, reasons, alerts.channels_from_settings(warehouse))
    except (OSError, ValueError) as error:
        reason = failures.explain(error) or error
        print(f"  (the failure alert could not be delivered: {reason})", file=sys.stderr)
