"""The interface every engine (NYCKELTAL_TARGET: duckdb, postgres, spark) implements.

dbt builds on the engine of its target; everything else a run does on the warehouse goes
through its `Engine`: where the warehouse is (`describe`), a read-only connection with
DuckDB's interface (`connect`: `execute(sql, params).fetchall()/.fetchone()/.description`,
plus `table_columns(schema, name)` naming types as DuckDB's information_schema does and
`tables(schema)`), the errors a read raises, writing the validated raw tables (`nyckeltal
load`), the Great Expectations data source and batches of a suite, reading the marts for a
publication, and the PostgreSQL schema a publication goes to by default.
"""

from __future__ import annotations

import datetime as dt
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import duckdb

from nyckeltal.settings import Settings

if TYPE_CHECKING:
    import pyarrow as pa

MARTS_SCHEMA = "marts"
# The models that run on DuckDB only (README "Beyond one machine"): the dbt Python models of
# the forecasts and the target outlook (models/intermediate/insights; elsewhere the refresh
# computes their tables itself: nyckeltal.insights.foresight) and the churn-risk features. A
# dbt selection, excluded on the other engines.
DUCKDB_ONLY_MODELS = "path:models/intermediate/insights int_customer_churn_features"
# The marts that read the forecast tables (models/insights), and what is built on them. On
# DuckDB one dbt build makes everything; elsewhere dbt builds them in a second invocation,
# after the refresh wrote the forecast tables (FORESIGHT_MARTS_SELECTION).
FORESIGHT_MARTS = ("kpi_forecasts", "kpi_target_outlook")
FORESIGHT_MARTS_SELECTION = " ".join(f"{name}+" for name in FORESIGHT_MARTS)
SKIPPED_ON_ENGINES = "DuckDB-only, skipped on this engine: the churn-risk scores"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class RawTables:
    """The validated raw tables of a load: staged in the loader's private DuckDB
    `connection` (nyckeltal.loading.staging.StagedTable each), and where progress goes."""

    connection: duckdb.DuckDBPyConnection
    staged: Sequence[Any]
    progress: Progress


class Engine(ABC):
    """One engine of profiles.yml, built from the run's settings (nyckeltal.engine.engine_for)."""

    name: ClassVar[str]
    # The pyproject extra whose modules the engine needs (None: the core install).
    extra: ClassVar[str | None] = None
    # The warehouse is the local DuckDB file (it must exist before a run; the insight models
    # and row-count history live there).
    embedded: ClassVar[bool] = False
    # Where Great Expectations validates (its names for a data context): `ephemeral`, an
    # ephemeral GX context on the engine's data source (`gx_datasource`, `gx_batch`); `file`,
    # the committed GX file context, whose data sources read the warehouse file, with Data
    # Docs (nyckeltal.quality.batches).
    gx_context_mode: ClassVar[str] = "ephemeral"

    def __init__(self, config: Settings) -> None:
        self.config = config

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    @property
    def runs_every_model(self) -> bool:
        """Whether dbt builds every model here, the forecast tables included (its Python
        models). Else DUCKDB_ONLY_MODELS are left out, and the refresh writes the forecast
        tables between two dbt builds (nyckeltal.insights.foresight)."""
        return self.embedded

    def dbt_exclusions(self) -> tuple[str, ...]:
        """The dbt selection the (first) build on this engine leaves out."""
        if self.runs_every_model:
            return ()
        return (DUCKDB_ONLY_MODELS, FORESIGHT_MARTS_SELECTION)

    @abstractmethod
    def write_table(self, warehouse: Path, schema: str, name: str, frame: pa.Table) -> None:
        """Replace table `schema.name` with the rows of `frame` (its columns and types), at
        once per table: a reader sees the old table or the new one (on Spark, for the moment
        of a directory rename, neither: frame_writers.swap_folder). Several tables written
        one after another are not one transaction."""

    def dbt_environment(self) -> dict[str, str]:
        """Variables dbt's macros read on this engine beyond the settings profiles.yml reads
        (none by default)."""
        return {}

    @abstractmethod
    def describe(self, warehouse: Path) -> str:
        """Where the run's warehouse is, for progress lines."""

    @abstractmethod
    def connect(self, warehouse: Path) -> AbstractContextManager[Any]:
        """A read-only connection to the warehouse (see the module doc)."""

    def read_errors(self) -> tuple[type[BaseException], ...]:
        """The exceptions a read raises for missing tables or bad SQL."""
        return (duckdb.Error,)

    @abstractmethod
    def write_raw_tables(self, tables: RawTables, warehouse: Path) -> Path | str:
        """Replace the raw tables with the validated ones of the loader (`tables`), all or
        nothing; return where they are."""

    # ------------------------------------------------------------------- Great Expectations

    def gx_datasource(self, context: Any, name: str) -> Any:
        """The GX data source of the engine in an ephemeral GX context (`gx_context_mode`
        `file`: the file context has its own, committed one)."""
        raise NotImplementedError(f"{self.name} validates in the GX file context")

    def gx_batch(
        self, source: Any, name: str, *, table: dict[str, Any] | None = None, query: str = ""
    ) -> Any:
        """The batch definition of suite `name`: a table asset (`table`: its arguments) or
        a query asset."""
        if table is not None:
            asset = source.add_table_asset(name, **table)
        else:
            asset = source.add_query_asset(name, query=query)
        return asset.add_batch_definition_whole_table(name)

    def gx_batch_parameters(
        self, connection: Any, *, relation: str | None = None, query: str = ""
    ) -> dict[str, Any] | None:
        """The batch parameters of a suite on `relation` (a table) or `query` (None: the
        data source reads the data itself)."""
        return None

    # ------------------------------------------------------------------- publication

    def publication_postgres(self) -> tuple[str, str] | None:
        """The PostgreSQL server (libpq conninfo) and schema a publication goes to when
        NYCKELTAL_PUBLISH_POSTGRES_URL is not set (None: none)."""
        return None

    def read_marts(self, destination: Path, warehouse: Path) -> tuple[Path, dt.date | None]:
        """Copy every table of the `marts` schema into a new DuckDB file at `destination`
        (replaced), with DuckDB types; return it and the as-of date."""
        destination.unlink(missing_ok=True)
        with self.connect(warehouse) as source, duckdb.connect(str(destination)) as target_db:
            target_db.execute(f"create schema {MARTS_SCHEMA}")
            for table in source.tables(MARTS_SCHEMA):
                copy_table(source, MARTS_SCHEMA, table, target_db)
            as_of = self.as_of_date(source)
        return destination, as_of

    def as_of_date(self, connection: Any) -> dt.date | None:
        """The as-of date of the last build (intermediate.int_reporting_window), if any."""
        try:
            row = connection.execute(
                "select max(as_of_date) from intermediate.int_reporting_window"
            ).fetchone()
        except self.read_errors():
            return None
        value = row[0] if row else None
        return value.date() if isinstance(value, dt.datetime) else value


def copy_table(source: Any, schema: str, table: str, target_db: duckdb.DuckDBPyConnection) -> None:
    """Copy table `schema.table` of an engine's connection (`source`, Engine.connect) into
    the same relation of the DuckDB connection `target_db` (schema created), with DuckDB
    types: what a dbt Python model on DuckDB reads as `dbt.ref(...)`."""
    import pandas as pd

    columns = source.table_columns(schema, table)
    definition = ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
    target_db.execute(f'create schema if not exists "{schema}"')
    target_db.execute(f'create table "{schema}"."{table}" ({definition})')
    names = ", ".join(f'"{name}"' for name in columns)
    rows = source.execute(f'select {names} from {schema}."{table}"').fetchall()
    if not rows:
        return
    frame = pd.DataFrame.from_records(rows, columns=list(columns)).astype(object)
    target_db.register("engine_rows", frame)
    casts = ", ".join(f'cast("{name}" as {kind})' for name, kind in columns.items())
    target_db.execute(f'insert into "{schema}"."{table}" select {casts} from engine_rows')
    target_db.unregister("engine_rows")


# --------------------------------------------------------------------------- types

_DUCKDB_NAMES = {
    # PostgreSQL information_schema spellings
    "character varying": "VARCHAR",
    "text": "VARCHAR",
    "character": "VARCHAR",
    "timestamp without time zone": "TIMESTAMP",
    "timestamp with time zone": "TIMESTAMP WITH TIME ZONE",
    "double precision": "DOUBLE",
    "real": "FLOAT",
    "smallint": "SMALLINT",
    # Spark simpleString spellings
    "string": "VARCHAR",
    "int": "INTEGER",
    "timestamp_ntz": "TIMESTAMP",
    "float": "FLOAT",
    "tinyint": "TINYINT",
}


def duckdb_type(engine_type: str) -> str:
    """An engine's type name as DuckDB spells it (DECIMAL(18,2), VARCHAR, TIMESTAMP, ...)."""
    name = engine_type.strip().lower()
    match = re.fullmatch(r"(?:decimal|numeric)\s*\((\d+)\s*,\s*(\d+)\)", name)
    if match:
        return f"DECIMAL({match.group(1)},{match.group(2)})"
    return _DUCKDB_NAMES.get(name, name.upper())


class Rows:
    """A fetched result with the cursor interface the readers use."""

    def __init__(self, rows: list[tuple[Any, ...]], names: Sequence[str]) -> None:
        self.rows = rows
        self.description = [(name, None, None, None, None, None, None) for name in names]

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self.rows)

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None
