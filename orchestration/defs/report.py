"""The `kpi_report` asset: the static KPI report, written after the marts are published.

Registered by `orchestration.definitions` with `build_report_asset(published_marts)`. The
report reads the PUBLISHED marts file (never the warehouse) and is written to the run
config's `out`, else NYCKELTAL_REPORT_DIR, else `report/` beside the warehouse file
(RunContext.report_dir); `nyckeltal report` writes the same pages by hand.
"""

# No `from __future__ import annotations`: Dagster reads the Config annotation at definition.
from collections.abc import Sequence
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
)

from nyckeltal import failures
from nyckeltal.progress import stage
from orchestration.defs.publish import PUBLISHED_MARTS_KEY
from orchestration.resources import NyckeltalResource, retry_only_transient, stop_when_interrupted


class KpiReportConfig(Config):
    """Run config of the report: the output folder (default: see the module docstring)."""

    out: str | None = None


def build_report_asset(
    deps: Sequence[AssetKey | AssetsDefinition | str] = (PUBLISHED_MARTS_KEY,),
) -> AssetsDefinition:
    """The `kpi_report` asset, downstream of `deps` (the published marts)."""

    @asset(
        deps=list(deps),
        group_name="publish",
        kinds={"html"},
        description="The KPI report: static HTML pages (one card per KPI with its latest "
        "complete value, target, status and 12-period trend; one page per KPI family with the "
        "segment breakdown, the formula and what to do when off track), read from the "
        "published marts file. Opens offline from the file system.",
    )
    def kpi_report(
        context: AssetExecutionContext, config: KpiReportConfig, nyckeltal: NyckeltalResource
    ) -> MaterializeResult:
        from nyckeltal.report import build_report

        run = nyckeltal.run_context()
        published = run.published
        out = Path(config.out).resolve() if config.out else run.report_dir
        remedies = {published: failures.REPUBLISH}
        with (
            stop_when_interrupted(),
            retry_only_transient(published, remedies),
            stage("report") as progress,
        ):
            result = build_report(
                published, out, run.reporting_currency, run.dbt_target_path, run.project_dir
            )
            progress.detail = f"{result.chart_count} charts, {result.overview}"
        context.log.info(result.summary())
        return MaterializeResult(
            metadata={
                "overview": MetadataValue.path(str(result.overview)),
                "pages": len(result.pages),
                "kpis": result.kpi_count,
                "charts": result.chart_count,
            }
        )

    return kpi_report
