"""KPI alerts in Dagster: the `kpi_alerts` asset (after the publication) and the run-failure
sensor. The rules, the digest and the channels are nyckeltal.alerts."""

from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    DefaultSensorStatus,
    Failure,
    MaterializeResult,
    MetadataValue,
    RunFailureSensorContext,
    SensorDefinition,
    asset,
    run_failure_sensor,
)

from nyckeltal import alerts, failures
from nyckeltal.context import RunContext
from nyckeltal.progress import stage
from nyckeltal.scorecard import SCORECARD_RELATION
from nyckeltal.settings import Settings
from orchestration.defs.publish import PUBLISHED_MARTS_KEY
from orchestration.resources import (
    AlertsResource,
    NyckeltalResource,
    retry_only_transient,
    stop_when_interrupted,
)
from orchestration.run_failures import failure_reasons


def build_kpi_alerts_asset() -> AssetsDefinition:
    @asset(
        deps=[PUBLISHED_MARTS_KEY],
        group_name="publish",
        description="One alert digest per refresh (nyckeltal.alerts): KPIs newly off "
        "track, anomalies, the largest segment call-outs, large moves and the customers with "
        "the most MRR at stake, ranked. The first run on a warehouse sets the baseline. "
        "Appended to the alert file (JSON lines), POSTed to the webhook and sent through "
        "Apprise when configured.",
    )
    def kpi_alerts(
        context: AssetExecutionContext, nyckeltal: NyckeltalResource, alerts: AlertsResource
    ) -> MaterializeResult:
        channels = channels_of(alerts, nyckeltal)
        with (
            stop_when_interrupted(),
            retry_only_transient(channels.alerts_file),
            stage("alerts") as progress,
        ):
            record, findings, rows = raise_alerts(context, nyckeltal, alerts, channels)
            progress.detail = (
                f"{record['kind']}: {len(record['item_ids'])} finding(s)" if record else "none new"
            )
        return MaterializeResult(
            metadata={
                "digest": record["kind"] if record else "none",
                "new_alerts": len(record["item_ids"]) if record else 0,
                "findings": findings,
                "scorecard_rows": rows,
                "alerts_file": MetadataValue.path(str(channels.alerts_file)),
                "webhook_status": record["webhook_status"] if record else None,
                "alerts": MetadataValue.md(record["text"] if record else "none"),
            }
        )

    return kpi_alerts


def channels_of(alerts_config: AlertsResource, nyckeltal: NyckeltalResource) -> alerts.Channels:
    """The configured channels; the alert file defaults to alerts.jsonl beside the warehouse."""
    return alerts.Channels(
        Path(alerts_config.alerts_file)
        if alerts_config.alerts_file
        else nyckeltal.run_context().alerts_file,
        alerts_config.webhook_url,
        alerts_config.apprise_urls,
        alerts_config.webhook_timeout_seconds,
    )


def raise_alerts(
    context: AssetExecutionContext,
    nyckeltal: NyckeltalResource,
    alerts_config: AlertsResource,
    channels: alerts.Channels,
) -> tuple[dict | None, int, int]:
    """Build the run's digest and deliver it; (the digest record or None, findings, rows)."""
    # On PostgreSQL and Spark the marts are read from the published snapshot just written.
    run = nyckeltal.run_context()
    source = run.warehouse if run.engine.embedded else run.published
    try:
        digest, record, findings, rows = alerts.raise_digest(
            source,
            channels,
            alerts_config.change_share,
            alerts_config.include_incomplete_periods,
            run_id=context.run.run_id,
        )
    except OSError as error:  # the webhook's WebhookError, Apprise's refusal, a full disk
        # Nothing is written yet: a retry sends the same digest again (a full disk: no retry).
        explained = failures.explain(error, channels.alerts_file)
        raise Failure(
            explained or f"could not deliver the alert digest: {error}",
            allow_retries=explained is None,
        ) from error
    if not rows:
        context.log.warning(f"no {SCORECARD_RELATION} rows: no alerts evaluated")
    if digest is None:
        context.log.info(f"no new KPI findings ({findings} already reported)")
        return None, findings, rows
    context.log.warning(f"{digest.title}\n{record['text']}")
    return record, findings, rows


def build_run_failure_sensor(config: Settings, default_running: bool = True) -> SensorDefinition:
    """A run-failure sensor raising the failure digest of every failed run of the code
    location (scheduled runs, UI backfills); `nyckeltal run` raises it itself, through the
    same route (nyckeltal.alerts.alert_run_failure, reasons by failure_reasons). `config`:
    the code location's settings (read at its edge, orchestration.definitions)."""

    @run_failure_sensor(
        name="refresh_failure_alert",
        description="Raises a failure alert digest (alert file, webhook, Apprise) with the "
        "reasons of every failed run.",
        default_status=DefaultSensorStatus.RUNNING
        if default_running
        else DefaultSensorStatus.STOPPED,
    )
    def refresh_failure_alert(context: RunFailureSensorContext) -> None:
        run = context.dagster_run
        events = [
            record.dagster_event
            for record in context.instance.all_logs(run.run_id)
            if record.dagster_event is not None
        ]
        reasons = failure_reasons(events) or [context.failure_event.message or "the run failed"]
        config = (run.run_config or {}).get("resources", {}).get("nyckeltal", {})
        warehouse = (config.get("config") or {}).get("warehouse")
        # The sensor runs outside any run: the failed run's context, from the code
        # location's settings and the run's warehouse.
        channels = alerts.channels_of(RunContext.build(config, warehouse=warehouse))
        problem = alerts.alert_run_failure(run.run_id, reasons, channels, run.job_name)
        if problem:
            context.log.warning(problem)

    return refresh_failure_alert
