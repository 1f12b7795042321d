"""The `published_marts` asset: nyckeltal.pipeline.publish_marts, once the marts passed
their blocking checks."""

from collections.abc import Sequence

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)

from nyckeltal import failures, pipeline
from nyckeltal.progress import stage
from orchestration.resources import NyckeltalResource, retry_only_transient, stop_when_interrupted

PUBLISHED_MARTS_KEY = AssetKey(["published_marts"])


def build_publish_asset(mart_keys: Sequence[AssetKey]) -> AssetsDefinition:
    @asset(
        key=PUBLISHED_MARTS_KEY,
        deps=list(mart_keys),
        group_name="publish",
        kinds={"duckdb"},
        description="The marts copied atomically into the published DuckDB file BI tools "
        "read (nyckeltal.pipeline.publish_marts). Runs only when every mart passed its "
        "blocking Great Expectations check, so a failed run leaves yesterday's KPIs served.",
    )
    def published_marts(
        context: AssetExecutionContext, nyckeltal: NyckeltalResource
    ) -> MaterializeResult:
        run = nyckeltal.run_context()
        published = run.published
        remedies = {published: failures.REPUBLISH}
        with (
            stop_when_interrupted(),
            retry_only_transient(published, remedies),
            stage("publish") as progress,
        ):
            path = pipeline.publish_marts(run, run_id=context.run_id)
            progress.detail = str(path)
        context.log.info(f"published the marts to {path}")
        return MaterializeResult(metadata={"path": MetadataValue.path(str(path))})

    return published_marts
