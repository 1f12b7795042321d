"""The Dagster code location (`dagster dev` from the repository root loads `defs`).

Loading needs no environment variable: the defaults build the embedded DuckDB warehouse of
the project, and the dbt manifest is prepared here (`dbt parse`) when it is missing or
older than the models — on a fresh clone, in CI and under `dagster dev` alike.
"""

from __future__ import annotations

from dagster import Definitions

from nyckeltal import settings
from nyckeltal.contract import TABLES
from nyckeltal.engines import DUCKDB_ONLY_MODELS
from nyckeltal.settings import Settings
from orchestration.defs.alerts import build_kpi_alerts_asset, build_run_failure_sensor
from orchestration.defs.dbt import build_dbt_assets, mart_asset_keys
from orchestration.defs.insights import CHURN_RISK_KEY, build_churn_risk_asset
from orchestration.defs.publish import build_publish_asset
from orchestration.defs.quality import build_mart_validation_checks, build_source_validation_checks
from orchestration.defs.report import build_report_asset
from orchestration.defs.sources import (
    build_raw_freshness_checks,
    build_raw_table_assets,
    raw_table_specs,
)
from orchestration.jobs import build_daily_refresh_job
from orchestration.resources import (
    build_resources,
    dbt_project,
    prepare_manifest,
    retry_policy,
)
from orchestration.schedules import build_daily_schedule


def build_definitions(config: Settings | None = None) -> Definitions:
    """Everything of the code location, configured by `config` (default: the environment)."""
    config = config or settings.current()
    project = dbt_project(config.dbt_target_path)
    manifest_path = prepare_manifest(project)
    marts = mart_asset_keys(manifest_path)
    checks = [build_source_validation_checks(), *build_raw_freshness_checks(TABLES)]
    if marts:
        checks.append(build_mart_validation_checks(marts))
    job = build_daily_refresh_job(retry_policy(config))
    # On PostgreSQL and Spark the DuckDB-only models and the churn-risk asset are left out
    # (nyckeltal.engines; README "Beyond one machine").
    on_duckdb = config.target == "duckdb"
    insights = [build_churn_risk_asset()] if on_duckdb else []
    return Definitions(
        assets=[
            build_raw_table_assets(raw_table_specs()),
            build_dbt_assets(
                project,
                manifest_path,
                exclude=None if on_duckdb else DUCKDB_ONLY_MODELS,
                data_tests=config.refresh_dbt_tests,
            ),
            build_publish_asset([*marts, *([CHURN_RISK_KEY] if on_duckdb else [])]),
            build_kpi_alerts_asset(),
            build_report_asset(),
            *insights,
        ],
        asset_checks=checks,
        jobs=[job],
        sensors=[build_run_failure_sensor(config.schedule_enabled)],
        schedules=[
            build_daily_schedule(
                job,
                config.schedule_cron,
                config.schedule_timezone,
                config.schedule_enabled,
            )
        ],
        resources=build_resources(config, project),
    )


defs = build_definitions()
