"""Replace the raw tables of the warehouse with the staged data, in one transaction."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb

from nyckeltal import failures
from nyckeltal.loading.problems import LoadError
from nyckeltal.loading.sql import first_line, literal
from nyckeltal.loading.staging import StagedTable
from nyckeltal.loading.stamp import load_stamp, stamped_columns, stamped_values
from nyckeltal.raw_schema import create_table_sql

ALIAS = "nyckeltal_warehouse"
MOVE_DAMAGED_ASIDE = "move it aside (or restore a backup) and load again into a new file"


def write_tables(
    connection: duckdb.DuckDBPyConnection,
    staged: Sequence[StagedTable],
    warehouse: Path,
    progress: Callable[[str], None],
) -> None:
    """Attach `warehouse` (created if missing) and replace every staged table, all or nothing.

    On any failure the transaction is rolled back, so the previous raw tables are untouched,
    and a warehouse file this load created is removed again.
    """
    created = not warehouse.exists()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    _attach(connection, warehouse)
    succeeded = False
    try:
        _replace_all(connection, staged, progress)
        succeeded = True
    except duckdb.Error as error:
        raise LoadError(
            f"writing the warehouse {warehouse} failed and was rolled back, nothing changed: "
            f"{first_line(error)}"
        ) from error
    finally:
        connection.execute(f"detach {ALIAS}")
        if created and not succeeded:
            for path in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
                path.unlink(missing_ok=True)


def _attach(connection: duckdb.DuckDBPyConnection, warehouse: Path) -> None:
    try:
        connection.execute(f"attach {literal(str(warehouse))} as {ALIAS}")
    except duckdb.Error as error:
        if "lock" in str(error).lower():
            raise LoadError(
                f"the warehouse {warehouse} is locked by another process (a DuckDB shell, a "
                "notebook, dbt or Dagster?): close it there and load again. "
                f"DuckDB says: {first_line(error)}"
            ) from None
        damaged = failures.damaged(error, warehouse, {warehouse: MOVE_DAMAGED_ASIDE})
        if damaged:
            raise LoadError(damaged) from None
        raise LoadError(f"cannot open the warehouse {warehouse}: {first_line(error)}") from None


def _replace_all(
    connection: duckdb.DuckDBPyConnection,
    staged: Sequence[StagedTable],
    progress: Callable[[str], None],
) -> None:
    # The raw tables have no meaningful row order: writing them in parallel, unordered, is
    # about a quarter cheaper than keeping the file order.
    connection.execute("set preserve_insertion_order = false")
    connection.execute("begin transaction")
    stamp = load_stamp()
    try:
        for table in staged:
            started = time.perf_counter()
            _replace(connection, table, stamp)
            relation = f"{table.table.schema}.{table.table.name}"
            seconds = time.perf_counter() - started
            progress(f"  {relation:<34} {table.rows:>12,} rows {seconds:7.2f} s")
        started = time.perf_counter()
        connection.execute("commit")
        progress(f"  {'commit':<34} {'':>17} {time.perf_counter() - started:7.2f} s")
    except BaseException:
        # DuckDB has already rolled back a transaction whose statement failed.
        with contextlib.suppress(duckdb.Error):
            connection.execute("rollback")
        raise


def _replace(
    connection: duckdb.DuckDBPyConnection, staged: StagedTable, stamp: dt.datetime
) -> None:
    table = staged.table
    target = f"{ALIAS}.{table.schema}.{table.name}"
    connection.execute(f"create schema if not exists {ALIAS}.{table.schema}")
    connection.execute(f"drop table if exists {target}")
    connection.execute(create_table_sql(table, target, loaded_at=True))
    connection.execute(
        f"insert into {target} ({stamped_columns(staged)}) "
        f"select {stamped_values(staged, stamp)} from {staged.relation}"
    )
