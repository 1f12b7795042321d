"""The Apache Spark engine: `nyckeltal load` writes the raw tables as Parquet under
`<spark_dir>/raw/<schema>/<table>`, which dbt registers as Spark tables on every run.

The run reads through the in-process SparkSession (pyspark, the configuration of the
`spark` target of profiles.yml). dbt runs in a subprocess whose Spark keeps its Hive
metastore in an embedded Derby database, which one JVM at a time may open; this session
therefore uses Spark's in-memory catalog and registers the tables from their folders
(`<spark_dir>/raw/<schema>/<table>` written by the loader, `<spark_dir>/tables/<schema>.db/
<table>` written by dbt), exactly as dbt's on-run-start hook registers the raw ones.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from nyckeltal.engine.base import Engine, RawTables, Rows, duckdb_type

if TYPE_CHECKING:
    import pyarrow as pa

SPARK_TABLES = "tables"


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

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        values = iter(params)
        text = re.sub(r"\?", lambda _match: _spark_literal(next(values)), spark_sql(sql))
        frame = self.spark.sql(text)
        return Rows([tuple(row) for row in frame.collect()], frame.columns)

    def table_columns(self, schema: str, name: str) -> dict[str, str]:
        if not self.spark.catalog.tableExists(f"{schema}.{name}"):
            return {}
        fields = self.spark.table(f"{_spark_quote(schema)}.{_spark_quote(name)}").schema.fields
        return {field.name: duckdb_type(field.dataType.simpleString()) for field in fields}

    def tables(self, schema: str) -> list[str]:
        if not self.spark.catalog.databaseExists(schema):
            return []
        return sorted(table.name for table in self.spark.catalog.listTables(schema))


class SparkEngine(Engine):
    name = "spark"
    extra = "spark"

    def dbt_environment(self) -> dict[str, str]:
        """The folder of the Spark tables (macros/foresight_relation.sql reads the forecast
        tables written there by `write_table`)."""
        return {"NYCKELTAL_SPARK_TABLES_DIR": str(self.config.spark_dir / SPARK_TABLES)}

    def describe(self, warehouse: Path) -> str:
        return f"Spark ({self.config.spark_method}, {self.config.spark_dir})"

    @property
    def raw_dir(self) -> Path:
        """Where `nyckeltal load` writes the raw tables as Parquet."""
        return self.config.spark_dir / "raw"

    def session(self) -> Any:
        """The in-process SparkSession of the `spark` target (created once per process)."""
        from pyspark.sql import SparkSession

        builder = (
            SparkSession.builder.master("local[2]")
            .appName("nyckeltal")
            .config("spark.driver.memory", self.config.spark_driver_memory)
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", "1")
            # GX runs many tiny queries: no adaptive re-planning, no code generation per query.
            .config("spark.sql.adaptive.enabled", "false")
            .config("spark.sql.codegen.wholeStage", "false")
            .config("spark.sql.parquet.inferTimestampNTZ.enabled", "false")
            .config("spark.ui.enabled", "false")
            # No progress bar on stderr (it would break the lines of dbt's JSON log).
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.warehouse.dir", str(self.config.spark_dir / SPARK_TABLES))
            .config("spark.sql.catalogImplementation", "in-memory")
        )
        return builder.getOrCreate()

    @contextmanager
    def connect(self, warehouse: Path) -> Iterator[SparkConnection]:
        yield SparkConnection(self.session(), self.config.spark_dir)

    def read_errors(self) -> tuple[type[BaseException], ...]:
        from py4j.protocol import Py4JJavaError
        from pyspark.errors import PySparkException

        return (duckdb.Error, PySparkException, Py4JJavaError)

    def write_raw_tables(self, tables: RawTables, warehouse: Path) -> Path:
        from nyckeltal.engine.raw_writers import write_parquet_tables

        tables.progress(f"Writing the raw tables as Parquet for Spark ({self.raw_dir})")
        return write_parquet_tables(tables, self.raw_dir)

    def table_folder(self, schema: str, name: str) -> Path:
        """Where a table of `schema` lives: beside dbt's own (`<spark_dir>/tables/<schema>.db`)."""
        return self.config.spark_dir / SPARK_TABLES / f"{schema}.db" / name

    def write_table(self, warehouse: Path, schema: str, name: str, frame: pa.Table) -> None:
        """Parquet in a new folder, swapped in by renames (the run's Spark registers it as
        `schema.name`; dbt reads the folder: macros/foresight_relation.sql)."""
        from nyckeltal.engine.frame_writers import write_parquet_table

        write_parquet_table(self.table_folder(schema, name), frame)

    def gx_datasource(self, context: Any, name: str) -> Any:
        """A GX Spark data source: each suite's batch is the Spark DataFrame of its table or
        query; GX computes every metric with Spark."""
        return context.data_sources.add_spark(name)

    def gx_batch(
        self, source: Any, name: str, *, table: dict[str, Any] | None = None, query: str = ""
    ) -> Any:
        asset = source.add_dataframe_asset(name)
        return asset.add_batch_definition_whole_dataframe(name)

    def gx_batch_parameters(
        self, connection: Any, *, relation: str | None = None, query: str = ""
    ) -> dict[str, Any] | None:
        sql = f"select * from {relation}" if relation is not None else query
        return {"dataframe": connection.frame(sql)}
