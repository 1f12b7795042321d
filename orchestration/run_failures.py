"""Why a run failed, in lines a human reads: the same words in `nyckeltal run`'s summary and
in the failure alert of the run-failure sensor (both from the run's Dagster events)."""

from collections.abc import Iterable

from dagster import DagsterEvent, DagsterEventType, ExecuteInProcessResult

from orchestration.defs.sources import FRESHNESS_CHECK_NAME
from orchestration.resources import step_failure_reason


def failure_summary(run: ExecuteInProcessResult | Iterable[DagsterEvent]) -> list[str]:
    """What went wrong in a run (an in-process result, or the events of a run): each failed
    step, each failed blocking check with the data quality summary behind it (suite,
    expectation, failing count, example rows) and the sources that are not fresh (reported,
    never blocking)."""
    lines: list[str] = []
    summaries: list[str] = []
    stale: list[str] = []
    for event in _events(run):
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


def skipped_steps(run: ExecuteInProcessResult | Iterable[DagsterEvent]) -> list[str]:
    """The steps Dagster skipped: an upstream asset was not materialized (a dbt model that
    did not run). Dagster counts such a run a success; for a refresh it is a failure, since
    what the skipped steps check or publish did not happen."""
    return [
        f"step {event.step_key} was skipped: an asset it needs was not materialized"
        for event in _events(run)
        if event.event_type == DagsterEventType.STEP_SKIPPED
    ]


def failure_reasons(run: ExecuteInProcessResult | Iterable[DagsterEvent]) -> list[str]:
    """The reasons of a failure alert: the failure summary, then the skipped steps."""
    events = list(_events(run))
    return failure_summary(events) + skipped_steps(events)


def _events(run: ExecuteInProcessResult | Iterable[DagsterEvent]) -> Iterable[DagsterEvent]:
    return getattr(run, "all_events", run)
