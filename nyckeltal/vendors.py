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
from nyckeltal.contract import DEPARTMENTS
from nyckeltal.dbt_runner import DbtError, run_dbt
from nyckeltal.errors import NyckeltalError
from nyckeltal.ingest import landed_column
from nyckeltal.relations import daily_shards, relation_columns
from nyckeltal.vendor_layouts import (
    BAMBOOHR_DLT,
    BILLING,
    FILES,
    SYSTEMS,
    Layout,
    System,
    parse_departments,
    parse_ga4_events,
)

__all__ = ["BILLING", "FILES", "VendorSourceError", "map_vendor_tables"]


class VendorSourceError(NyckeltalError):
    """The landed vendor tables are missing or cannot be mapped; the message names them."""


def configured(context: RunContext) -> Iterator[tuple[System, Layout]]:
    """Every system whose source is a vendor layout, with that layout (each part of a joined
    one: google_ads:fivetran+facebook_ads:fivetran)."""
    for system in SYSTEMS:
        layout = system.layout(getattr(context.settings, system.source_field))
        if layout is not None:
            for piece in layout.pieces:
                yield system, piece


def mapped_tables(context: RunContext) -> tuple[str, ...]:
    """The contract tables the configured vendor sources write (none with files only)."""
    return tuple(
        dict.fromkeys(table for system, _ in configured(context) for table in system.mapped_tables)
    )


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
        for joined_layout in system.layouts
        for layout in joined_layout.pieces
    }
    if config.landing_database:
        values["landing_database"] = str(config.landing_database)
    if config.stripe_customer_id_metadata_key:
        values["stripe_customer_id_metadata_key"] = config.stripe_customer_id_metadata_key
    if config.hubspot_properties:
        values["hubspot_properties"] = dict(config.hubspot_properties)
    values["ga4_events"] = parse_ga4_events(config.ga4_events)
    values |= hr_vars(context)
    return values


def hr_vars(context: RunContext) -> dict[str, object]:
    """The HR mappings' dbt vars: the department names mapped (NYCKELTAL_HR_DEPARTMENTS),
    Personio's full-time hours and employee attributes, BambooHR's fields."""
    config = context.settings
    values: dict[str, object] = {
        "hr_contract_departments": list(DEPARTMENTS),
        "personio_full_time_hours": config.personio_full_time_hours,
        "personio_employee_id_attribute": config.personio_employee_id_attribute,
    }
    if config.personio_product_line_attribute:
        values["personio_product_line_attribute"] = config.personio_product_line_attribute
    if config.hr_departments:
        values["hr_departments"] = parse_departments(config.hr_departments)
    if config.hr_source == BAMBOOHR_DLT.value:
        values |= bamboohr_vars(context)
    return values


def bamboohr_vars(context: RunContext) -> dict[str, str]:
    """BambooHR's mapping vars: the landed column of each field the settings name
    (`bamboohr_employee_id_column`, `bamboohr_product_line_column`, `bamboohr_fte_column`)."""
    return {
        name.removesuffix("_field") + "_column": landed_column(field)
        for name, field in vendor_fields(context, BAMBOOHR_DLT).items()
    }


def schema(context: RunContext, layout: Layout) -> str:
    return getattr(context.settings, layout.schema_field)


def where_landed(context: RunContext, layout: Layout) -> str:
    """`schema stripe of /path/landing.duckdb`, for messages."""
    landing = context.settings.landing_database
    return f"schema {schema(context, layout)} of {landing or context.warehouse}"


def _table_columns(
    connection: duckdb.DuckDBPyConnection, name: str, layout: Layout
) -> dict[str, set[str]]:
    """The columns of each landed table of `layout` in the schema `name`; a date-sharded
    table that is missing has the columns of its daily shards `<table>_YYYYMMDD`."""
    found = {table: relation_columns(connection, name, table) for table in layout.landed_tables}
    for table in layout.date_sharded:
        if not found[table]:
            for shard in daily_shards(connection, name, table):
                found[table] |= relation_columns(connection, name, shard)
    return found


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
            return _table_columns(connection, name, layout)
    with context.engine.connect(context.warehouse) as connection:
        return _table_columns(connection, name, layout)


def _required_columns(context: RunContext, layout: Layout) -> dict[str, list[tuple[str, str]]]:
    """Per landed table, the columns the mapping reads: (column, why) pairs."""
    wanted = {
        table: [(column, "") for column in columns]
        for table, columns in layout.landed_columns.items()
    }
    if layout.property_tables:  # a HubSpot layout: the properties selected by the setting
        for column, name in context.settings.hubspot_properties.items():
            why = f" (HubSpot property {name}, NYCKELTAL_HUBSPOT_PROPERTIES {column}={name})"
            landed = f"{layout.property_prefix}{name}"
            wanted.setdefault(layout.property_tables[column], []).append((landed, why))
    for name, field in vendor_fields(context, layout).items():
        why = f" ({layout.field_noun}, NYCKELTAL_{name.upper()}={field})"
        wanted[layout.landed_tables[0]].append((landed_column(field), why))
    return wanted


def vendor_fields(context: RunContext, layout: Layout) -> dict[str, str]:
    """The vendor's fields the settings name for an HR layout's mapping: {Settings field:
    the vendor's field name}, those set only."""
    fields = {name: getattr(context.settings, name) for name in layout.field_settings}
    return {name: field for name, field in fields.items() if field}


def check_landed(context: RunContext, system: System, layout: Layout) -> None:
    """Raise VendorSourceError naming the first missing landed table, else the first missing
    column the mapping reads (a selected HubSpot property, ...)."""
    prefix = f"{system.setting}={getattr(context.settings, system.source_field)}"
    found = landed_columns(context, layout)
    missing = [
        f"{table} (or its daily shards {table}_YYYYMMDD)" if table in layout.date_sharded else table
        for table, columns in found.items()
        if not columns
    ]
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
