"""The daily schedule: refresh yesterday's partition every morning.

At NYCKELTAL_SCHEDULE_CRON (default `0 6 * * *`) in NYCKELTAL_SCHEDULE_TIMEZONE (default
Europe/Stockholm) it requests a run of the daily job for the last complete UTC day — the
partition of the large facts that the night's loads completed — with the run key set to
that day, so a tick is never run twice. The unpartitioned KPI graph, the checks, the
publication and the alerts run in the same run, downstream of that partition.
"""

import datetime as dt

from dagster import (
    DefaultScheduleStatus,
    PartitionsDefinition,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)

SCHEDULE_NAME = "daily_refresh_schedule"


def partition_for_tick(
    scheduled_at: dt.datetime, partitions_def: PartitionsDefinition
) -> str | None:
    """The partition a tick refreshes: the UTC day before the tick (None if it does not
    exist yet, i.e. before the first partition)."""
    moment = scheduled_at if scheduled_at.tzinfo else scheduled_at.replace(tzinfo=dt.UTC)
    day = moment.astimezone(dt.UTC).date() - dt.timedelta(days=1)
    key = day.isoformat()
    keys = partitions_def.get_partition_keys(current_time=moment)
    return key if key in set(keys) else None


def build_daily_schedule(
    job: UnresolvedAssetJobDefinition,
    partitions_def: PartitionsDefinition,
    cron: str,
    timezone: str,
    enabled: bool = True,
) -> ScheduleDefinition:
    @schedule(
        name=SCHEDULE_NAME,
        cron_schedule=cron,
        execution_timezone=timezone,
        job=job,
        default_status=DefaultScheduleStatus.RUNNING if enabled else DefaultScheduleStatus.STOPPED,
        description=f"Daily refresh at `{cron}` ({timezone}) of the previous UTC day's partition.",
    )
    def daily_refresh_schedule(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
        scheduled_at = context.scheduled_execution_time or dt.datetime.now(dt.UTC)
        partition_key = partition_for_tick(scheduled_at, partitions_def)
        if partition_key is None:
            return SkipReason(f"no daily partition before {scheduled_at.isoformat()} yet")
        return RunRequest(
            run_key=partition_key,
            partition_key=partition_key,
            tags={"nyckeltal/trigger": "schedule"},
        )

    return daily_refresh_schedule
