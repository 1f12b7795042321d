"""DDL of the raw schemas, derived from the contract."""

from __future__ import annotations

import duckdb

from nyckeltal.availability import MANIFEST_SCHEMA, MANIFEST_TABLE
from nyckeltal.contract import LOADED_AT_COLUMN, TABLES, Column, Table
from nyckeltal.relations import has_relation

# The load manifest (nyckeltal.loading.absent writes it on every load).
MANIFEST = Table(
    MANIFEST_SCHEMA.removeprefix("raw_"),
    MANIFEST_TABLE,
    "The load manifest: one row per contract table, loaded or absent, written by every load.",
    (
        Column("table_key", "varchar", description="The contract table, <system>.<table>."),
        Column("is_loaded", "boolean", description="False when the load had no file for it."),
        Column("row_count", "bigint", description="Its rows (0 when absent)."),
    ),
    ("table_key",),
)


def create_table_sql(table: Table, relation: str | None = None, loaded_at: bool = False) -> str:
    """`create table` for a contract table (NOT NULL on required columns, primary key).

    `loaded_at`: with the loader's `_loaded_at` timestamp column last (the UTC time of the
    load, for source freshness); tables made for tests and first runs have none.
    """
    columns = [
        f"{column.name} {column.type}{'' if column.nullable else ' not null'}"
        for column in table.columns
    ]
    if loaded_at:
        columns.append(f"{LOADED_AT_COLUMN} timestamp not null")
    columns.append(f"primary key ({', '.join(table.primary_key)})")
    name = relation or f"{table.schema}.{table.name}"
    return f"create table {name} (\n    " + ",\n    ".join(columns) + "\n)"


def create_empty_raw_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """Create every raw table that does not exist yet, and the load manifest, empty (for
    tests and first runs)."""
    for table in (*TABLES, MANIFEST):
        connection.execute(f"create schema if not exists {table.schema}")
        if not has_relation(connection, table.schema, table.name):
            connection.execute(create_table_sql(table))
