"""Freshness of the raw tables with Dagster's own builders, fed by the loader's stamp.

- `raw_tables`: the fifteen raw tables are observable external assets. Observing them reads
  each table's newest `_loaded_at` (the UTC time the loader wrote it, `nyckeltal.contract`)
  into the observation's `dagster/last_updated_timestamp`, the metadata Dagster's freshness
  checks read. The daily refresh observes them first; with a vendor source
  (NYCKELTAL_BILLING_SOURCE), the observation first maps the landed vendor tables into the
  raw tables (`map_vendor_sources`, nyckeltal.vendors).
- `build_raw_freshness_checks`: `build_last_update_freshness_checks` on every raw table,
  WARN when the last load is older than FRESHNESS_WARN_AFTER_HOURS. Not blocking: stale data
  is reported, never silently dropped. (`dbt source freshness` reads the same stamp with a
  warning and an error threshold; Dagster's builder has one threshold per check.)
"""

import datetime as dt
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from dagster import (
    AssetChecksDefinition,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    BetaWarning,
    Failure,
    MetadataValue,
    ObserveResult,
    SupersessionWarning,
    build_last_update_freshness_checks,
    multi_observable_source_asset,
)

from nyckeltal import vendors
from nyckeltal.availability import MANIFEST_SCHEMA, MANIFEST_TABLE
from nyckeltal.context import RunContext
from nyckeltal.contract import FRESHNESS_WARN_AFTER_HOURS, LOADED_AT_COLUMN, TABLES, Table
from nyckeltal.progress import stage
from orchestration.defs.quality import raw_asset_key, table_of
from orchestration.resources import retry_only_transient, stop_when_interrupted

# The metadata key Dagster's freshness checks read the time of an observed update from, and
# the name Dagster's builder gives each check.
LAST_UPDATED = "dagster/last_updated_timestamp"
FRESHNESS_CHECK_NAME = "freshness_check"


def latest_load(
    connection: Any, table: Table, read_errors: tuple[type[BaseException], ...]
) -> dt.datetime | None:
    """The newest `_loaded_at` of a raw table (UTC), or None: no rows, no table, no stamp
    (`read_errors`: the engine's errors of a read, Engine.read_errors)."""
    try:
        row = connection.execute(
            f"select max({LOADED_AT_COLUMN}) from {table.schema}.{table.name}"
        ).fetchone()
    except read_errors:
        return None
    if not row or row[0] is None:
        return None
    value = row[0]
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def absent_since(
    connection: Any, read_errors: tuple[type[BaseException], ...]
) -> dict[str, dt.datetime]:
    """The contract tables (keys) the last load recorded as absent (an optional table without
    a file), with that load's time: the table is as fresh as the load that left it out."""
    try:
        rows = connection.execute(
            f"select table_key, max({LOADED_AT_COLUMN}) from {MANIFEST_SCHEMA}.{MANIFEST_TABLE} "
            "where not is_loaded group by table_key"
        ).fetchall()
    except read_errors:  # a warehouse loaded before the manifest existed
        return {}
    return {
        key: stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
        for key, stamp in rows
        if stamp is not None
    }


def load_metadata(latest: dt.datetime | None, absent: bool = False) -> dict[str, Any]:
    """An observation's metadata: when the table was last loaded, if it ever was (`absent`:
    the last load, at `latest`, had no file for it: docs/data-contract.md#optional-tables)."""
    if latest is None:
        return {LOADED_AT_COLUMN: "never (no rows, or no _loaded_at column)"}
    stamp = latest.isoformat(timespec="seconds")
    return {
        LAST_UPDATED: MetadataValue.timestamp(latest),
        LOADED_AT_COLUMN: f"absent from the load of {stamp} (optional table)" if absent else stamp,
    }


def build_raw_table_assets(specs: Sequence[AssetSpec]) -> AssetsDefinition:
    """The raw tables as one observable asset definition (`specs`: one per raw table)."""
    with warnings.catch_warnings():
        # Beta in dagster 1.13: chosen knowingly, not news to a user at every command.
        warnings.simplefilter("ignore", BetaWarning)
        return _observable_raw_tables(specs)


def _observable_raw_tables(specs: Sequence[AssetSpec]) -> AssetsDefinition:
    @multi_observable_source_asset(
        specs=specs,
        name="observe_raw_tables",
        can_subset=True,
        required_resource_keys={"nyckeltal"},
        description="When the loader last wrote each raw table (its _loaded_at stamp).",
    )
    def observe_raw_tables(context: AssetExecutionContext) -> Iterator[ObserveResult]:
        run = context.resources.nyckeltal.run_context()
        warehouse, engine = run.warehouse, run.engine
        if engine.embedded and not warehouse.exists():
            raise Failure(f"no warehouse at {warehouse}: load data first", allow_retries=False)
        map_vendor_sources(context, run)
        with (
            stop_when_interrupted(),
            retry_only_transient(warehouse),
            engine.connect(warehouse) as connection,
        ):
            read_errors = engine.read_errors()
            absent = absent_since(connection, read_errors)
            for key in sorted(context.selected_asset_keys, key=lambda k: k.to_user_string()):
                table = table_of(key)
                if table.key in absent:
                    metadata = load_metadata(absent[table.key], absent=True)
                else:
                    metadata = load_metadata(latest_load(connection, table, read_errors))
                yield ObserveResult(asset_key=key, metadata=metadata)

    return observe_raw_tables


def map_vendor_sources(context: AssetExecutionContext, run: RunContext) -> None:
    """The first step of a refresh with vendor sources (NYCKELTAL_BILLING_SOURCE, ...): their
    landed tables mapped into the raw relations (nyckeltal.vendors), before they are
    observed and validated. A missing landed table is a one-line failure, never retried."""
    sources = ", ".join(layout.value for _, layout in vendors.configured(run))
    if not sources:
        return
    with (
        stop_when_interrupted(),
        stage("map vendor sources") as progress,
        context.resources.nyckeltal.tool_output(),
    ):
        try:
            written = vendors.map_vendor_tables(run)
        except vendors.VendorSourceError as error:
            raise Failure(str(error), allow_retries=False) from None
        progress.detail = f"{sources}: {', '.join(written)}"
    context.log.info(f"vendor sources {sources} mapped into {written}")


def build_raw_freshness_checks(tables: Sequence[Table]) -> Sequence[AssetChecksDefinition]:
    """Dagster's last-update freshness check (`freshness_check`) on every raw table."""
    with warnings.catch_warnings():
        # Superseded by FreshnessPolicy in dagster 1.13, whose evaluation needs the daemon;
        # this check also runs in `nyckeltal run` (no daemon), so it stays, without the notice.
        warnings.simplefilter("ignore", SupersessionWarning)
        return build_last_update_freshness_checks(
            assets=[raw_asset_key(table) for table in tables],
            lower_bound_delta=dt.timedelta(hours=FRESHNESS_WARN_AFTER_HOURS),
        )


def raw_table_specs(ingested: Mapping[str, AssetKey] | None = None) -> list[AssetSpec]:
    """One external asset per raw contract table, keyed ["raw_<system>", "<table>"]; the
    tables a vendor source maps downstream of the asset that pulls the vendor's API
    (`ingested`: {contract table key: ingest asset}, orchestration.defs.ingest), when there
    is one."""
    ingested = ingested or {}
    return [
        AssetSpec(
            raw_asset_key(table),
            deps=[ingested[table.key]] if table.key in ingested else [],
            description=f"{table.description} Raw table {table.schema}.{table.name}, "
            "written by the loader (`nyckeltal load` / `nyckeltal demo`).",
            group_name="raw",
            kinds={"duckdb"},
            metadata={
                "contract": f"{table.system}.{table.name}",
                "primary_key": ", ".join(table.primary_key),
                "loaded_at_field": LOADED_AT_COLUMN,
            },
        )
        for table in TABLES
    ]
