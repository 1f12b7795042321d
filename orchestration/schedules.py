"""The daily schedule: refresh the previous day every morning.

At NYCKELTAL_SCHEDULE_CRON (default `0 6 * * *`) in NYCKELTAL_SCHEDULE_TIMEZONE (default
Europe/Stockholm) it requests a run of the daily job for the partition of the last complete UTC
day (the day the night's loads completed): the daily facts replace that day's rows and the
KPI graph, the checks, the publication and the alerts run downstream in the same run. The
run key is that day, so a tick is never run twice.
"""

import datetime as dt

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    schedule,
)

from orchestration.jobs import AssetJob, refresh_run_config

SCHEDULE_NAME = "daily_refresh_schedule"


def day_for_tick(scheduled_at: dt.datetime) -> dt.date:
    """The day a tick refreshes: the UTC day before the tick."""
    moment = scheduled_at if scheduled_at.tzinfo else scheduled_at.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).date() - dt.timedelta(days=1)


def build_daily_schedule(
    job: AssetJob,
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
        description=f"Daily refresh at `{cron}` ({timezone}) of the previous UTC day.",
    )
    def daily_refresh_schedule(context: ScheduleEvaluationContext) -> RunRequest:
        day = day_for_tick(context.scheduled_execution_time or dt.datetime.now(dt.UTC))
        return RunRequest(
            run_key=day.isoformat(),
            partition_key=day.isoformat(),
            run_config=refresh_run_config(),
            tags={"nyckeltal/trigger": "schedule", "nyckeltal/day": day.isoformat()},
        )

    return daily_refresh_schedule
