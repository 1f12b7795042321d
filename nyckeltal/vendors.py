"""Vendor sources: a system's contract tables from its vendor, as an extract-load tool landed
them (docs/sources.md).

Each system whose setting names a layout (NYCKELTAL_BILLING_SOURCE=stripe:fivetran,
NYCKELTAL_CRM_SOURCE=hubspot:fivetran, ...; the registry is nyckeltal.vendor_layouts) is
mapped at the start of a refresh: its landed tables (in the schema of the layout's setting,
e.g. NYCKELTAL_STRIPE_SCHEMA, of the warehouse or of the DuckDB file
NYCKELTAL_LANDING_DATABASE attached read-only) are checked, then the layout's dbt models
(models/sources/<vendor>/...) write the contract's raw relations (raw_billing.*, raw_crm.*)
and record them in the load manifest. Staging, the Great Expectations suites and every KPI
then run unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb

from nyckeltal.context import RunContext
from nyckeltal.dbt_runner import DbtError, run_dbt
from nyckeltal.errors import NyckeltalError
from nyckeltal.relations import relation_columns
from nyckeltal.vendor_layouts import (
    BILLING,
    FILES,
    HUBSPOT_PROPERTY_TABLES,
    SYSTEMS,
    Layout,
    System,
    parse_properties,
)

__all__ = ["BILLING", "FILES", "VendorSourceError", "map_vendor_tables"]


class VendorSourceError(NyckeltalError):
    """The landed vendor tables are missing or cannot be mapped; the message names them."""


def configured(context: RunContext) -> Iterator[tuple[System, Layout]]:
    """Every system whose source is a vendor layout, with that layout."""
    for system in SYSTEMS:
        layout = system.layout(getattr(context.settings, system.source_field))
        if layout is not None:
            yield system, layout


def mapped_tables(context: RunContext) -> tuple[str, ...]:
    """The contract tables the configured vendor sources write (none with files only)."""
    return tuple(table for system, _ in configured(context) for table in system.mapped_tables)


def mapping_vars(context: RunContext) -> dict[str, object]:
    """The dbt vars of the mapping step: every system's source, the landing schemas and
    database, the Stripe customer metadata key, the HubSpot properties."""
    config = context.settings
    values: dict[str, object] = {
        system.source_field: getattr(config, system.source_field) for system in SYSTEMS
    }
    values |= {
        layout.schema_field: getattr(config, layout.schema_field)
        for system in SYSTEMS
        for layout in system.layouts
    }
    if config.landing_database:
        values["landing_database"] = str(config.landing_database)
    if config.stripe_customer_id_metadata_key:
        values["stripe_customer_id_metadata_key"] = config.stripe_customer_id_metadata_key
    if config.hubspot_properties:
        values["hubspot_properties"] = parse_properties(config.hubspot_properties)
    return values


def schema(context: RunContext, layout: Layout) -> str:
    return getattr(context.settings, layout.schema_field)


def where_landed(context: RunContext, layout: Layout) -> str:
    """`schema stripe of /path/landing.duckdb`, for messages."""
    landing = context.settings.landing_database
    return f"schema {schema(context, layout)} of {landing or context.warehouse}"


def landed_columns(context: RunContext, layout: Layout) -> dict[str, set[str]]:
    """The columns of each landed table of `layout` (an empty set: the table is missing)."""
    landing = context.settings.landing_database
    name = schema(context, layout)
    if landing is not None:
        if not landing.is_file():
            raise VendorSourceError(
                f"NYCKELTAL_LANDING_DATABASE={landing}: no such DuckDB file of landed tables"
            )
        with duckdb.connect(str(landing), read_only=True) as connection:
            return {t: relation_columns(connection, name, t) for t in layout.landed_tables}
    with context.engine.connect(context.warehouse) as connection:
        return {t: relation_columns(connection, name, t) for t in layout.landed_tables}


def missing_landed_tables(context: RunContext) -> list[str]:
    """The landed tables of the configured vendor sources that are not there."""
    return [
        table
        for _, layout in configured(context)
        for table, columns in landed_columns(context, layout).items()
        if not columns
    ]


def _required_columns(context: RunContext, layout: Layout) -> dict[str, list[tuple[str, str]]]:
    """Per landed table, the columns the mapping reads: (column, why) pairs."""
    wanted = {
        table: [(column, "") for column in columns]
        for table, columns in layout.landed_columns.items()
    }
    if layout.vendor == "hubspot":
        for column, name in parse_properties(context.settings.hubspot_properties).items():
            why = f" (HubSpot property {name}, NYCKELTAL_HUBSPOT_PROPERTIES {column}={name})"
            table = HUBSPOT_PROPERTY_TABLES[column]
            landed = (f"{layout.property_prefix}{name}", why)
            wanted.setdefault(layout.object_tables.get(table, table), []).append(landed)
    return wanted


def check_landed(context: RunContext, system: System, layout: Layout) -> None:
    """Raise VendorSourceError naming the first missing landed table, else the first missing
    column the mapping reads (a selected HubSpot property, ...)."""
    prefix = f"{system.setting}={layout.value}"
    found = landed_columns(context, layout)
    missing = [table for table, columns in found.items() if not columns]
    if missing:
        raise VendorSourceError(
            f"{prefix}: the landed table {missing[0]} is missing "
            f"from the {where_landed(context, layout)}"
            + (f" (and {len(missing) - 1} more: {', '.join(missing[1:])})" if missing[1:] else "")
        )
    for table, columns in _required_columns(context, layout).items():
        for column, why in columns:
            if column not in {name.lower() for name in found[table]}:
                raise VendorSourceError(
                    f"{prefix}: the column {column}{why} is missing from the landed table "
                    f"{table} in the {where_landed(context, layout)}"
                )


def map_vendor_tables(context: RunContext) -> tuple[str, ...]:
    """Map the landed tables of every configured vendor source into the contract's raw
    relations (and the load manifest), in one dbt run; return the contract tables written
    (none with files only). Raises VendorSourceError naming the setting, the schema and the
    first missing table or column, or dbt's failure."""
    sources = list(configured(context))
    if not sources:
        return ()
    for system, layout in sources:
        check_landed(context, system, layout)
    selectors = sorted({layout.models for _, layout in sources})
    try:
        run_dbt(
            ["run", "--select", *selectors],
            context,
            dbt_vars=mapping_vars(context),
            quiet=True,
            target_path=context.dbt_target_path / "vendor_sources",
        )
    except DbtError as error:
        names = "; ".join(
            f"{system.setting}={layout.value} from the {where_landed(context, layout)}"
            for system, layout in sources
        )
        raise VendorSourceError(f"mapping {names} failed: {error}") from None
    return mapped_tables(context)
