"""Reading relations of a DuckDB warehouse that may not have been built yet."""

from __future__ import annotations

import re
from typing import Any

import duckdb


def has_relation(connection: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """True when the table or view `schema.name` exists. `connection` may be another
    engine's (nyckeltal.engine: Spark has no `information_schema`), which answers itself."""
    if hasattr(connection, "table_columns"):
        return bool(connection.table_columns(schema, name))
    count = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(count and count[0])


def relation_columns(connection: duckdb.DuckDBPyConnection, schema: str, name: str) -> set[str]:
    """The column names of the table or view `schema.name` (empty: it does not exist);
    `connection` as for has_relation."""
    if hasattr(connection, "table_columns"):
        return set(connection.table_columns(schema, name))
    rows = connection.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()
    return {row[0] for row in rows}


def daily_shards(connection: duckdb.DuckDBPyConnection, schema: str, name: str) -> list[str]:
    """The tables `schema.<name>_YYYYMMDD` (BigQuery's date-sharded tables), sorted; none
    where `connection` is another engine's (nyckeltal.engine)."""
    if hasattr(connection, "table_columns"):
        return []
    rows = connection.execute(
        "select table_name from information_schema.tables where table_schema = ? "
        "and regexp_full_match(table_name, ?) order by table_name",
        [schema, re.escape(name) + "_[0-9]{8}"],
    ).fetchall()
    return [row[0] for row in rows]


def fetch_dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The rows of an executed query, as dicts keyed by column name."""
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
