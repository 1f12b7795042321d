"""The embedded DuckDB engine (the default): the warehouse is one local file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from nyckeltal.engine.base import Engine, RawTables

if TYPE_CHECKING:
    import pyarrow as pa


class DuckDBEngine(Engine):
    name = "duckdb"
    embedded = True
    gx_context_mode = "file"

    def describe(self, warehouse: Path) -> str:
        return str(warehouse)

    @contextmanager
    def connect(self, warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            yield connection

    def write_raw_tables(self, tables: RawTables, warehouse: Path) -> Path:
        from nyckeltal.loading.warehouse import write_tables

        tables.progress(f"Replacing the raw tables of {warehouse}")
        write_tables(tables.connection, tables.staged, warehouse, tables.progress)
        return warehouse

    def write_table(self, warehouse: Path, schema: str, name: str, frame: pa.Table) -> None:
        """One transaction: create-or-replace from the frame."""
        with duckdb.connect(str(warehouse)) as connection:
            connection.execute("begin transaction")
            connection.execute(f'create schema if not exists "{schema}"')
            connection.register("nyckeltal_frame", frame)
            connection.execute(
                f'create or replace table "{schema}"."{name}" as select * from nyckeltal_frame'
            )
            connection.execute("commit")
