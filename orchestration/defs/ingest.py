"""`<vendor>`: the ingest of a vendor's API with dlt (nyckeltal.ingest), upstream of the raw
tables its system maps, so that the daily refresh ingests, then maps and refreshes. In the
definitions for each system whose source is a layout Nyckeltal ingests itself
(`NYCKELTAL_BILLING_SOURCE=stripe:dlt`, ...; orchestration.definitions)."""

from collections.abc import Mapping

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    asset,
)

from nyckeltal import ingest
from nyckeltal.context import RunContext
from nyckeltal.progress import stage
from nyckeltal.vendors import configured


def ingested_tables(context: RunContext) -> Mapping[str, AssetKey]:
    """The contract tables (keys, `billing.invoices`) each ingest asset of the run's settings
    lands upstream of: {table: the ingest asset's key}."""
    return {
        table: AssetKey([layout.ingested_by])
        for system, layout in configured(context)
        if layout.ingested_by
        for table in system.mapped_tables
    }


def build_ingest_asset(vendor: str) -> AssetsDefinition:
    @asset(
        key=AssetKey([vendor]),
        group_name="ingest",
        kinds={"dlt", vendor},
        required_resource_keys={"nyckeltal"},
        description=f"{vendor}'s API pulled into the landing schema with dlt, incrementally "
        f"(`nyckeltal ingest {vendor}`; docs/sources.md).",
    )
    def _ingest(context: AssetExecutionContext) -> MaterializeResult:
        run = context.resources.nyckeltal.run_context()
        if not ingest.has_credentials(vendor, run):  # landed by the user's own dlt pipeline
            context.log.info(f"no {vendor} credential: the landed {vendor} tables as they are")
            return MaterializeResult(metadata={"rows": 0, "tables": "not ingested (no key)"})
        with stage(f"ingest {vendor}") as progress:
            try:
                result = ingest.run(vendor, run)
            except ingest.IngestError as error:
                raise Failure(str(error), allow_retries=False) from None
            progress.detail = result.summary()
        context.log.info(result.summary())
        return MaterializeResult(
            metadata={"rows": sum(result.rows.values()), "tables": ", ".join(sorted(result.rows))}
        )

    return _ingest


def build_ingest_assets(context: RunContext) -> list[AssetsDefinition]:
    """One ingest asset per vendor of the run's settings that Nyckeltal lands itself."""
    keys = dict.fromkeys(ingested_tables(context).values())
    return [build_ingest_asset(key.path[-1]) for key in keys]
