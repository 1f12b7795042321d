"""The warehouse of the daily job on each engine (NYCKELTAL_TARGET: duckdb, postgres, spark).

dbt builds on the engine of its target; everything else the daily job reads (Great
Expectations, the freshness checks, publishing) goes through `connect()`, a small read-only
connection with DuckDB's interface (`execute(sql, params).fetchall()/.fetchone()/.description`)
plus `table_columns(schema, name)`, which names types as DuckDB's information_schema does
(the schema suites compare them with the contract):

- duckdb: the warehouse file itself (read-only);
- postgres: a psycopg connection to the target server (autocommit: every query sees the
  last commit of the loader and of dbt);
- spark: the in-process SparkSession (`spark_session()`, pyspark, the configuration of the
  `spark` target of profiles.yml). dbt runs in a subprocess whose Spark keeps its Hive
  metastore in an embedded Derby database, which one JVM at a time may open; this session
  therefore uses Spark's in-memory catalog and registers the tables from their folders
  (`<spark_dir>/raw/<schema>/<table>` written by the loader, `<spark_dir>/tables/<schema>.db/
  <table>` written by dbt), exactly as dbt's on-run-start hook registers the raw ones.

`read_marts` copies the marts of the engine into a DuckDB file (small tables: aggregates),
which nyckeltal.publish turns into the publication (snapshot file, Parquet, PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from nyckeltal import settings

# The models that run on DuckDB only for now (README "Beyond one machine"): the insight
# models and the churn-risk features. A dbt selection, excluded on the other engines.
DUCKDB_ONLY_MODELS = (
    "path:models/insights path:models/intermediate/insights int_customer_churn_features"
)
SKIPPED_ON_ENGINES = (
    "DuckDB-only, skipped on this engine: the insight models (kpi_anomalies, "
    "kpi_segment_callouts, kpi_forecasts, kpi_target_outlook, kpi_change_decomposition) "
    "and the churn-risk scores"
)
MARTS_SCHEMA = "marts"
SPARK_TABLES = "tables"


def target() -> str:
    return settings.target()


def is_duckdb() -> bool:
    return settings.target() == "duckdb"


def describe(warehouse: Path | None = None) -> str:
    """Where the run's warehouse is, for progress lines (`warehouse`: the DuckDB file)."""
    config = settings.current()
    if config.target == "postgres":
        return (
            f"PostgreSQL {config.postgres_user}@{config.postgres_host}:{config.postgres_port}"
            f"/{config.postgres_database}"
        )
    if config.target == "spark":
        return f"Spark ({config.spark_method}, {config.spark_dir})"
    return str(warehouse or config.warehouse)


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


# --------------------------------------------------------------------------- errors


def read_errors() -> tuple[type[BaseException], ...]:
    """The exceptions a read on the run's engine raises for missing tables or bad SQL."""
    errors: list[type[BaseException]] = [duckdb.Error]
    if target() == "postgres":
        import psycopg

        errors.append(psycopg.Error)
    elif target() == "spark":
        from py4j.protocol import Py4JJavaError
        from pyspark.errors import PySparkException

        errors += [PySparkException, Py4JJavaError]
    return tuple(errors)


# --------------------------------------------------------------------------- PostgreSQL


class _Rows:
    """A fetched result with the cursor interface the readers use."""

    def __init__(self, rows: list[tuple[Any, ...]], names: Sequence[str]) -> None:
        self.rows = rows
        self.description = [(name, None, None, None, None, None, None) for name in names]

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self.rows)

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None


class PostgresConnection:
    """A psycopg connection with DuckDB's `?` parameters."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.connection.execute(sql.replace("?", "%s"), list(params) or None)

    def table_columns(self, schema: str, name: str) -> dict[str, str]:
        rows = self.connection.execute(
            "select column_name, data_type, numeric_precision, numeric_scale "
            "from information_schema.columns where table_schema = %s and table_name = %s "
            "order by ordinal_position",
            [schema, name],
        ).fetchall()
        return {
            column: f"DECIMAL({precision},{scale})"
            if kind == "numeric" and precision is not None
            else duckdb_type(kind)
            for column, kind, precision, scale in rows
        }

    def tables(self, schema: str) -> list[str]:
        rows = self.connection.execute(
            "select table_name from information_schema.tables where table_schema = %s "
            "and table_type = 'BASE TABLE' order by 1",
            [schema],
        ).fetchall()
        return [str(row[0]) for row in rows]


# --------------------------------------------------------------------------- Spark


def spark_session() -> Any:
    """The in-process SparkSession of the `spark` target (created once per process)."""
    from pyspark.sql import SparkSession

    config = settings.current()
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("nyckeltal")
        .config("spark.driver.memory", config.spark_driver_memory)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "1")
        # GX runs many tiny queries: no adaptive re-planning, no code generation per query.
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.parquet.inferTimestampNTZ.enabled", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.warehouse.dir", str(config.spark_dir / SPARK_TABLES))
        .config("spark.sql.catalogImplementation", "in-memory")
    )
    return builder.getOrCreate()


def _spark_quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def spark_sql(query: str) -> str:
    """SQL written for DuckDB and PostgreSQL as Spark reads it: double-quoted identifiers
    in backticks (the generated queries quote only plain names)."""
    return re.sub(r'"([A-Za-z_][A-Za-z0-9_]*)"', r"`\1`", query)


def _spark_literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return f"timestamp '{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"date '{value.isoformat()}'"
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


class SparkConnection:
    """The in-process SparkSession with DuckDB's interface; the tables are registered from
    their folders when the connection opens (`refresh`)."""

    def __init__(self, session: Any, spark_dir: Path) -> None:
        self.spark = session
        self.spark_dir = spark_dir
        self.refresh()

    def refresh(self) -> None:
        """Register every table folder of the loader and of dbt (again: a run replaces them)."""
        folders = [
            (schema.name, table)
            for schema in sorted((self.spark_dir / "raw").glob("*"))
            if schema.is_dir()
            for table in sorted(schema.iterdir())
            if table.is_dir()
        ]
        for schema in sorted((self.spark_dir / SPARK_TABLES).glob("*.db")):
            folders += [
                (schema.name.removesuffix(".db"), table)
                for table in sorted(schema.iterdir())
                if table.is_dir() and not table.name.startswith((".", "_"))
            ]
        self.spark.catalog.clearCache()
        for schema, folder in folders:
            relation = f"{_spark_quote(schema)}.{_spark_quote(folder.name)}"
            self.spark.sql(f"create database if not exists {_spark_quote(schema)}")
            self.spark.sql(f"drop table if exists {relation}")
            if any(folder.glob("*.parquet")) or any(folder.glob("*/*.parquet")):
                self.spark.sql(
                    f"create table {relation} using parquet location {_spark_literal(str(folder))}"
                )

    def frame(self, sql: str) -> Any:
        return self.spark.sql(spark_sql(sql))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Rows:
        values = iter(params)
        text = re.sub(r"\?", lambda _match: _spark_literal(next(values)), spark_sql(sql))
        frame = self.spark.sql(text)
        return _Rows([tuple(row) for row in frame.collect()], frame.columns)

    def table_columns(self, schema: str, name: str) -> dict[str, str]:
        if not self.spark.catalog.tableExists(f"{schema}.{name}"):
            return {}
        fields = self.spark.table(f"{_spark_quote(schema)}.{_spark_quote(name)}").schema.fields
        return {field.name: duckdb_type(field.dataType.simpleString()) for field in fields}

    def tables(self, schema: str) -> list[str]:
        if not self.spark.catalog.databaseExists(schema):
            return []
        return sorted(table.name for table in self.spark.catalog.listTables(schema))


# --------------------------------------------------------------------------- connect


@contextmanager
def connect(warehouse: Path | None = None) -> Iterator[Any]:
    """A read-only connection to the run's warehouse on its engine (see the module doc)."""
    config = settings.current()
    if config.target == "postgres":
        import psycopg

        with psycopg.connect(settings.postgres_conninfo(config), autocommit=True) as connection:
            yield PostgresConnection(connection)
    elif config.target == "spark":
        yield SparkConnection(spark_session(), config.spark_dir)
    else:
        with duckdb.connect(str(warehouse or config.warehouse), read_only=True) as connection:
            yield connection


def as_of_date(connection: Any) -> dt.date | None:
    """The as-of date of the last build (intermediate.int_reporting_window), if any."""
    try:
        row = connection.execute(
            "select max(as_of_date) from intermediate.int_reporting_window"
        ).fetchone()
    except read_errors():
        return None
    value = row[0] if row else None
    return value.date() if isinstance(value, dt.datetime) else value


def read_marts(destination: Path) -> tuple[Path, dt.date | None]:
    """Copy every table of the engine's `marts` schema into a new DuckDB file at
    `destination` (replaced), with DuckDB types; return it and the as-of date."""
    import pandas as pd

    destination.unlink(missing_ok=True)
    with connect() as source, duckdb.connect(str(destination)) as target_db:
        target_db.execute(f"create schema {MARTS_SCHEMA}")
        for table in source.tables(MARTS_SCHEMA):
            columns = source.table_columns(MARTS_SCHEMA, table)
            definition = ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
            target_db.execute(f'create table {MARTS_SCHEMA}."{table}" ({definition})')
            names = ", ".join(f'"{name}"' for name in columns)
            rows = source.execute(f'select {names} from {MARTS_SCHEMA}."{table}"').fetchall()
            if not rows:
                continue
            frame = pd.DataFrame.from_records(rows, columns=list(columns)).astype(object)
            target_db.register("engine_rows", frame)
            casts = ", ".join(f'cast("{name}" as {kind})' for name, kind in columns.items())
            target_db.execute(
                f'insert into {MARTS_SCHEMA}."{table}" select {casts} from engine_rows'
            )
            target_db.unregister("engine_rows")
        as_of = as_of_date(source)
    return destination, as_of
