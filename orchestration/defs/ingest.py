"""`stripe`: the ingest of Stripe's API with dlt (nyckeltal.ingest.stripe), upstream of the
raw billing tables, so that the daily refresh ingests, then maps and refreshes. In the
definitions only with NYCKELTAL_BILLING_SOURCE=stripe:dlt (orchestration.definitions)."""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    Failure,
    MaterializeResult,
    asset,
)

from nyckeltal.ingest.stripe import IngestError, ingest, stripe_config
from nyckeltal.progress import stage

STRIPE_KEY = AssetKey(["stripe"])
# The billing source whose landed tables the ingest writes.
INGESTED_BY = {"stripe:dlt": STRIPE_KEY}


def build_stripe_ingest_asset():  # noqa: ANN201 (what @asset returns)
    @asset(
        key=STRIPE_KEY,
        group_name="ingest",
        kinds={"dlt", "stripe"},
        required_resource_keys={"nyckeltal"},
        description="Stripe's API pulled into the landing schema with dlt, incrementally "
        "(`nyckeltal ingest stripe`; docs/sources.md).",
    )
    def stripe(context: AssetExecutionContext) -> MaterializeResult:
        run = context.resources.nyckeltal.run_context()
        if run.settings.stripe_api_key is None:  # landed by the user's own dlt pipeline
            context.log.info("no NYCKELTAL_STRIPE_API_KEY: the landed Stripe tables as they are")
            return MaterializeResult(metadata={"rows": 0, "tables": "not ingested (no key)"})
        with stage("ingest stripe") as progress:
            try:
                result = ingest(stripe_config(run))
            except IngestError as error:
                raise Failure(str(error), allow_retries=False) from None
            progress.detail = result.summary()
        context.log.info(result.summary())
        return MaterializeResult(
            metadata={"rows": sum(result.rows.values()), "tables": ", ".join(sorted(result.rows))}
        )

    return stripe
