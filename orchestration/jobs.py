"""The daily refresh job and the run configuration that points it at a warehouse.

One job for every trigger. Its partitions are the daily partitions of the incremental facts
(orchestration.defs.dbt.DAILY; every other asset is unpartitioned, which Dagster allows in
one job as long as the partitioned assets share one partitions definition): the schedule
runs it for the previous day's partition, `nyckeltal run --from/--to` and a backfill from
the UI for a range of partitions in one run, and `nyckeltal run` without a window for the
last partition with `full_build` set (every day rebuilt; see partition_tags for why not a
run over every partition). Steps run one after the other in one process (DuckDB has a
single writer), and a failed step is retried with exponential backoff when the failure looks
transient. Running it in process is orchestration.refresh.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from dagster import (
    AssetSelection,
    RetryPolicy,
    define_asset_job,
    in_process_executor,
)

from nyckeltal.contract import TABLES
from orchestration.defs.dbt import DAILY
from orchestration.defs.quality import raw_asset_key

DAILY_REFRESH_JOB = "daily_refresh"
# What define_asset_job returns: its class (UnresolvedAssetJobDefinition) is not part of
# Dagster's public API, so it is named here only as what schedules and Definitions take.
AssetJob = Any


def build_daily_refresh_job(policy: RetryPolicy) -> AssetJob:
    return define_asset_job(
        DAILY_REFRESH_JOB,
        # The raw tables by key: observed (their load stamps) before the checks. Not
        # all(include_sources=True): it would also pick the models left out on other engines.
        selection=AssetSelection.all()
        | AssetSelection.assets(*(raw_asset_key(table) for table in TABLES))
        | AssetSelection.all_asset_checks(),
        executor_def=in_process_executor,
        op_retry_policy=policy,
        description="Validate the raw tables, build the facts of the run's days (its daily "
        "partitions; every day with full_build) and the KPI "
        "graph with one dbt build (data tests as checks), validate and publish the marts, "
        "raise KPI alerts.",
    )


def refresh_run_config(
    warehouse: Path | None = None,
    as_of: dt.date | None = None,
    log_level: str = "INFO",
    full_build: bool = False,
) -> dict[str, Any]:
    """Run config pointing a run at a warehouse and an as-of date; `full_build`: every day
    of the facts, whatever the run's partitions. dbt's and Great Expectations' own console
    lines show at the INFO and DEBUG log levels only."""
    resource_config: dict[str, Any] = {
        "as_of": as_of.isoformat() if as_of else None,
        "show_tool_output": log_level.upper() in ("DEBUG", "INFO"),
        "full_build": full_build,
    }
    if warehouse is not None:
        resource_config["warehouse"] = str(Path(warehouse).resolve())
    return {
        "resources": {"nyckeltal": {"config": resource_config}},
        "loggers": {"console": {"config": {"log_level": log_level}}},
    }


# Dagster's documented run tags of a run over a range of partitions (what a single-run
# backfill from the UI sets).
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def partition_tags(window: tuple[dt.date, dt.date] | None) -> dict[str, str]:
    """The tags of a run over the days of `window` (inclusive): one run over that range of
    partitions, as a backfill from the UI. Without a window (a full build, with
    `full_build` in the run config), the last partition: a run over every partition would
    record one materialization per fact and day in Dagster's event log (measured: ~20 ms
    each, minutes for a few years of days), while the facts are rebuilt in one dbt build
    anyway. Raises ValueError naming the days when the window is not one of the job's."""
    if window is None:
        last = DAILY.get_last_partition_key()
        return {RANGE_START_TAG: last, RANGE_END_TAG: last}
    start, end = window
    if start > end:
        raise ValueError(f"the window starts ({start}) after it ends ({end})")
    first, last = DAILY.get_first_partition_key(), DAILY.get_last_partition_key()
    if start.isoformat() < first or end.isoformat() > last:
        raise ValueError(
            f"the window {start}..{end} is outside the daily partitions {first}..{last} "
            "(orchestration.defs.dbt.FIRST_DAY); a full build (no --from/--to) covers every day"
        )
    return {RANGE_START_TAG: start.isoformat(), RANGE_END_TAG: end.isoformat()}
