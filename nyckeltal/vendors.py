"""Vendor sources: the billing tables from Stripe as an extract-load tool landed them.

With NYCKELTAL_BILLING_SOURCE=stripe:fivetran (or stripe:dlt), a refresh first maps the
landed Stripe tables (Fivetran's layout, or dlt's as `nyckeltal ingest stripe` writes it;
in the schema NYCKELTAL_STRIPE_SCHEMA of the warehouse, or of the DuckDB file
NYCKELTAL_LANDING_DATABASE attached read-only) into the contract's raw relations
raw_billing.plans, raw_billing.subscriptions and raw_billing.invoices with the dbt models of
models/sources/stripe/fivetran, which also record them in the load manifest. Staging, the
Great Expectations suites and every KPI then run unchanged. The mapping rules are in
docs/sources.md "Stripe".
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

from nyckeltal.context import RunContext
from nyckeltal.dbt_runner import DbtError, run_dbt
from nyckeltal.errors import NyckeltalError
from nyckeltal.relations import has_relation

FILES = "files"
# The landed tables each layout's mapping reads (Fivetran's names, fivetran/dbt_stripe's
# models/staging/src_stripe.yml).
LANDED_TABLES: Mapping[str, tuple[str, ...]] = {
    "stripe:fivetran": (
        "customer",
        "product",
        "price",
        "subscription_history",
        "subscription_item",
        "invoice",
        "invoice_line_item",
        "credit_note",
    ),
    # dlt's names, as `nyckeltal ingest stripe` writes them (credit_notes and
    # subscriptions__discounts are optional: dlt creates no table without rows).
    "stripe:dlt": (
        "customers",
        "products",
        "prices",
        "subscriptions",
        "subscriptions__items__data",
        "invoices",
        "invoices__lines__data",
    ),
}
# The contract tables a billing vendor source writes (billing.fx_rates keeps coming from files).
MAPPED_TABLES = ("billing.plans", "billing.subscriptions", "billing.invoices")
# dlt's layout runs the same mapping, through the ephemeral models of models/sources/stripe/dlt.
MODELS = {
    "stripe:fivetran": "path:models/sources/stripe/fivetran",
    "stripe:dlt": "path:models/sources/stripe/fivetran",
}


class VendorSourceError(NyckeltalError):
    """The landed vendor tables are missing or cannot be mapped; the message names them."""


def mapping_vars(context: RunContext) -> dict[str, str]:
    """The dbt vars of the mapping step: the layout, the landing schema and database, the
    customer metadata key."""
    config = context.settings
    values = {"billing_source": config.billing_source, "stripe_schema": config.stripe_schema}
    if config.landing_database:
        values["landing_database"] = str(config.landing_database)
    if config.stripe_customer_id_metadata_key:
        values["stripe_customer_id_metadata_key"] = config.stripe_customer_id_metadata_key
    return values


def missing_landed_tables(context: RunContext) -> list[str]:
    """The landed tables of the billing source's layout that are not there."""
    config = context.settings
    wanted = LANDED_TABLES[config.billing_source]
    landing = config.landing_database
    if landing is not None:
        if not landing.is_file():
            raise VendorSourceError(
                f"NYCKELTAL_LANDING_DATABASE={landing}: no such DuckDB file of landed tables"
            )
        with duckdb.connect(str(landing), read_only=True) as connection:
            return [name for name in wanted if not has_relation(connection, schema(context), name)]
    with context.engine.connect(context.warehouse) as connection:
        return [name for name in wanted if not has_relation(connection, schema(context), name)]


def schema(context: RunContext) -> str:
    return context.settings.stripe_schema


def where_landed(context: RunContext) -> str:
    """`schema stripe of /path/landing.duckdb`, for messages."""
    landing = context.settings.landing_database
    return f"schema {schema(context)} of {landing or context.warehouse}"


def map_vendor_tables(context: RunContext) -> tuple[str, ...]:
    """Map the billing vendor source's landed tables into the contract's raw relations (and
    the load manifest); return the contract tables written (none for `files`). Raises
    VendorSourceError naming the schema and the first missing table, or dbt's failure."""
    source = context.settings.billing_source
    if source == FILES:
        return ()
    missing = missing_landed_tables(context)
    if missing:
        raise VendorSourceError(
            f"NYCKELTAL_BILLING_SOURCE={source}: the landed table {missing[0]} is missing "
            f"from the {where_landed(context)}"
            + (f" (and {len(missing) - 1} more: {', '.join(missing[1:])})" if missing[1:] else "")
        )
    try:
        run_dbt(
            ["run", "--select", MODELS[source]],
            context,
            dbt_vars=mapping_vars(context),
            quiet=True,
            target_path=context.dbt_target_path / "vendor_sources",
        )
    except DbtError as error:
        raise VendorSourceError(
            f"NYCKELTAL_BILLING_SOURCE={source}: mapping the {where_landed(context)} "
            f"failed: {error}"
        ) from None
    return MAPPED_TABLES
