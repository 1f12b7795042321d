"""The Dagster code location (`dagster dev` from the repository root loads `defs`).

Loading needs no environment variable: the defaults build the embedded DuckDB warehouse of
the project, and the dbt manifest is prepared here (`dbt parse`) when it is missing or
older than the models — on a fresh clone, in CI and under `dagster dev` alike.
"""

from __future__ import annotations

from dagster import Definitions

from nyckeltal.context import RunContext
from nyckeltal.contract import TABLES
from nyckeltal.dbt_runner import dbt_project
from nyckeltal.settings import Settings
from orchestration.defs.alerts import build_kpi_alerts_asset, build_run_failure_sensor
from orchestration.defs.dbt import build_dbt_assets, dbt_steps, mart_asset_keys
from orchestration.defs.ingest import build_ingest_assets, ingested_tables
from orchestration.defs.insights import (
    CHURN_RISK_KEY,
    FORESIGHT_KEY,
    build_churn_risk_asset,
    build_foresight_asset,
)
from orchestration.defs.publish import build_publish_asset
from orchestration.defs.quality import build_mart_validation_checks, build_source_validation_checks
from orchestration.defs.report import build_report_asset
from orchestration.defs.sources import (
    build_raw_freshness_checks,
    build_raw_table_assets,
    raw_table_specs,
)
from orchestration.jobs import build_daily_refresh_job
from orchestration.resources import build_resources, prepare_manifest, retry_policy
from orchestration.schedules import build_daily_schedule


def build_definitions(config: Settings | None = None) -> Definitions:
    """Everything of the code location, configured by `config` (default: the environment)."""
    context = RunContext.build(config)
    config = context.settings
    project = dbt_project(context)
    manifest_path = prepare_manifest(project, context)
    marts = mart_asset_keys(manifest_path)
    checks = [build_source_validation_checks(), *build_raw_freshness_checks(TABLES)]
    if marts:
        checks.append(build_mart_validation_checks(marts))
    job = build_daily_refresh_job(retry_policy(config))
    # On PostgreSQL and Spark the DuckDB-only models and the churn-risk asset are left out
    # (nyckeltal.engine; README "Beyond one machine"), and the forecast tables are written by
    # an asset between two dbt builds (orchestration.defs.dbt.dbt_steps).
    every_model = context.engine.runs_every_model
    insights = [build_churn_risk_asset()] if every_model else []
    dbt_models = [
        build_dbt_assets(project, manifest_path, step, config.refresh_dbt_tests)
        for step in dbt_steps(context.engine, FORESIGHT_KEY)
    ]
    if not every_model:
        insights.append(build_foresight_asset())
    # The publication waits for every mart (the forecast marts may come from a later build).
    published = [*marts, *(key for step in dbt_models[1:] for key in step.keys)]
    # With NYCKELTAL_BILLING_SOURCE=stripe:dlt (...), the refresh first ingests the vendor's API.
    ingests = build_ingest_assets(context)
    return Definitions(
        assets=[
            *ingests,
            build_raw_table_assets(raw_table_specs(ingested_tables(context))),
            *dbt_models,
            build_publish_asset([*published, *([CHURN_RISK_KEY] if every_model else [])]),
            build_kpi_alerts_asset(),
            build_report_asset(),
            *insights,
        ],
        asset_checks=checks,
        jobs=[job],
        sensors=[build_run_failure_sensor(config, config.schedule_enabled)],
        schedules=[
            build_daily_schedule(
                job,
                config.schedule_cron,
                config.schedule_timezone,
                config.schedule_enabled,
            )
        ],
        resources=build_resources(context),
    )


defs = build_definitions()
