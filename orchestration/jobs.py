"""The daily refresh job and the run configuration that points it at a warehouse.

One job for every trigger: the schedule runs it for the previous day's window, `nyckeltal
run` for every day (a full build) or for a `--from/--to` window (a backfill). Steps run one
after the other in one process (DuckDB has a single writer), and a failed step is retried
with exponential backoff when the failure looks transient. Running it in process is
orchestration.refresh.
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
        description="Validate the raw tables, build the facts of the run's window and the KPI "
        "graph with one dbt build (data tests as checks), validate and publish the marts, "
        "raise KPI alerts.",
    )


def refresh_run_config(
    warehouse: Path | None = None,
    as_of: dt.date | None = None,
    log_level: str = "INFO",
    window: tuple[dt.date, dt.date] | None = None,
) -> dict[str, Any]:
    """Run config pointing a run at a warehouse, an as-of date and a window of days (None:
    every day, a full build). dbt's and Great Expectations' own console lines show at the
    INFO and DEBUG log levels only."""
    resource_config: dict[str, Any] = {
        "as_of": as_of.isoformat() if as_of else None,
        "show_tool_output": log_level.upper() in ("DEBUG", "INFO"),
    }
    if warehouse is not None:
        resource_config["warehouse"] = str(Path(warehouse).resolve())
    if window is not None:
        start, end = window
        if start > end:
            raise ValueError(f"the window starts ({start}) after it ends ({end})")
        resource_config["window_start"] = start.isoformat()
        resource_config["window_end"] = end.isoformat()
    return {
        "resources": {"nyckeltal": {"config": resource_config}},
        "loggers": {"console": {"config": {"log_level": log_level}}},
    }
