"""Write the validated raw tables to PostgreSQL and Spark (their engines call these).

The files are always validated in the private DuckDB first (`nyckeltal.loader`); only the
last step differs by target:
- postgres: the fifteen raw_<system> tables are replaced in ONE PostgreSQL transaction
  (streamed with COPY), so a failed load leaves the previous tables untouched;
- spark: each raw table is written as Parquet to `<spark_dir>/raw/<schema>/<table>`; the
  new set replaces the previous one by directory renames, and dbt registers the folders as
  Spark tables on every run (macros/spark_raw_tables.sql).
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from nyckeltal.contract import LOADED_AT_COLUMN
from nyckeltal.engine.base import RawTables
from nyckeltal.engine.frame_writers import swap_folder
from nyckeltal.loading.problems import LoadError
from nyckeltal.loading.sql import first_line, literal
from nyckeltal.loading.staging import StagedTable
from nyckeltal.loading.stamp import load_stamp, stamped_columns, stamped_values
from nyckeltal.raw_schema import create_table_sql

COPY_CHUNK_BYTES = 1 << 20


def _typed_select(staged: StagedTable, stamp: dt.datetime) -> str:
    return f"select {stamped_values(staged, stamp, alias=True)} from {staged.relation}"


def write_postgres_tables(tables: RawTables, conninfo: str, where: str) -> str:
    """Replace the raw tables in the PostgreSQL server of `conninfo` (`where`, for
    messages), all or nothing; return `where`."""
    import psycopg

    connection, staged, progress = tables.connection, tables.staged, tables.progress
    with tempfile.TemporaryDirectory(prefix="nyckeltal-pg-load-") as folder:
        try:
            with psycopg.connect(conninfo) as target:
                stamp = load_stamp()
                for table in staged:
                    started = time.perf_counter()
                    _copy_to_postgres(connection, target, table, Path(folder), stamp)
                    relation = f"{table.table.schema}.{table.table.name}"
                    seconds = time.perf_counter() - started
                    progress(f"  {relation:<34} {table.rows:>12,} rows {seconds:7.2f} s")
                started = time.perf_counter()
                target.commit()
                progress(f"  {'commit':<34} {'':>17} {time.perf_counter() - started:7.2f} s")
        except psycopg.Error as error:
            raise LoadError(
                f"writing the raw tables to {where} failed and was rolled back, nothing "
                f"changed: {first_line(error)}"
            ) from error
    return where


def _copy_to_postgres(
    connection: duckdb.DuckDBPyConnection,
    target: object,
    staged: StagedTable,
    folder: Path,
    stamp: dt.datetime,
) -> None:
    table = staged.table
    relation = f"{table.schema}.{table.name}"
    csv_file = folder / f"{table.schema}__{table.name}.csv"
    # DuckDB writes NULL as an empty field and an empty string as "" (PostgreSQL's CSV too).
    connection.execute(
        f"copy ({_typed_select(staged, stamp)}) to {literal(str(csv_file))} "
        "(format csv, header false)"
    )
    names = stamped_columns(staged)
    existing = [
        row[0]
        for row in target.execute(
            "select column_name from information_schema.columns "
            "where table_schema = %s and table_name = %s order by ordinal_position",
            (table.schema, table.name),
        ).fetchall()
    ]
    if existing == [*(column.name for column in table.columns), LOADED_AT_COLUMN]:
        # dbt's staging views depend on the raw tables: empty them in place (still inside
        # the transaction, so readers see the old rows until the commit).
        target.execute(f"truncate table {relation}")
    else:
        # New table, or the contract changed: re-create it (dropping the staging views that
        # read it; the next dbt run creates them again).
        target.execute(f"create schema if not exists {table.schema}")
        target.execute(f"drop table if exists {relation} cascade")
        target.execute(create_table_sql(table, relation, loaded_at=True))
    statement = f"copy {relation} ({names}) from stdin (format csv)"
    with target.cursor().copy(statement) as copy, open(csv_file, "rb") as handle:
        while chunk := handle.read(COPY_CHUNK_BYTES):
            copy.write(chunk)
    csv_file.unlink()


def write_parquet_tables(tables: RawTables, raw: Path) -> Path:
    """Write the raw tables as Parquet under `raw`, replacing the previous set only once
    every table is written; return that folder."""
    connection, staged, progress = tables.connection, tables.staged, tables.progress
    raw.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=".raw-new-", dir=raw.parent))
    stamp = load_stamp()
    try:
        for table in staged:
            started = time.perf_counter()
            folder = fresh / table.table.schema / table.table.name
            folder.mkdir(parents=True)
            part = literal(str(folder / "part-0.parquet"))
            connection.execute(f"copy ({_typed_select(table, stamp)}) to {part} (format parquet)")
            relation = f"{table.table.schema}.{table.table.name}"
            seconds = time.perf_counter() - started
            progress(f"  {relation:<34} {table.rows:>12,} rows {seconds:7.2f} s")
    except duckdb.Error as error:
        shutil.rmtree(fresh, ignore_errors=True)
        raise LoadError(
            f"writing the raw Parquet tables under {raw} failed, nothing changed: "
            f"{first_line(error)}"
        ) from error
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    swap_folder(fresh, raw)
    return raw
