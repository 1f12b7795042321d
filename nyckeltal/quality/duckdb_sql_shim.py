"""Compatibility shim: Great Expectations' SQL data source on DuckDB (duckdb-engine).

GX 1.x's SQL data source over duckdb-engine returns empty metrics (GX issues #10738 and
#11579): every expectation "fails" with no element or unexpected count. Three defects, each
fixed here by one small patch, applied by `apply()` before GX runs (idempotent, no effect on
other SQL dialects):

1. `SqlAlchemyExecutionEngine.execute_query` returns the cursor result *after* its
   `with get_connection()` block has ended. The connection is back in SQLAlchemy's pool by
   then and DuckDB's lazy cursor yields no rows. The patch buffers the rows inside the block
   (`Result.freeze()`, then a fresh `Result` over the buffered rows), which is what every GX
   caller expects: they `fetchall()`, `fetchone()`, `scalar()` or `fetchmany(n)` at once.
   Unexpected-row queries carry a LIMIT (GX's `partial_unexpected_count`), so nothing large
   is ever buffered.
2. Column reflection: duckdb-engine inherits PostgreSQL's `get_columns`, whose SQLAlchemy 2.1
   query joins `pg_catalog.pg_collation`, which DuckDB does not have. GX then falls back to
   `select * from <table> limit 1` *without the schema*, which fails for any table outside
   `main`. The patch reads `information_schema.columns` instead (name, type, nullability).
3. Regular expressions: GX knows no regex operator for the duckdb dialect ("Regex is not
   supported for dialect duckdb"). The patch maps it to DuckDB's `regexp_matches` (a match
   anywhere in the value, like pandas' `str.contains` and PostgreSQL's `~`).

Remove this module (and its call in the runner) once GX executes queries inside the
connection block and knows DuckDB's regex, and duckdb-engine reflects columns on SQLAlchemy
2.1; tests/quality/test_duckdb_sql_shim.py shows the defects and the fixes.
"""

from __future__ import annotations

import re
from typing import Any

_APPLIED = "_nyckeltal_duckdb_shim"
DIALECT = "duckdb"
# DuckDB type spellings that SQLAlchemy's PostgreSQL names do not cover.
_TYPE_ALIASES = {"double": "double precision", "decimal": "numeric", "float": "real"}


def is_applied() -> bool:
    from great_expectations.execution_engine.sqlalchemy_execution_engine import (
        SqlAlchemyExecutionEngine,
    )

    return getattr(SqlAlchemyExecutionEngine.execute_query, _APPLIED, False)


def apply() -> None:
    """Patch GX and duckdb-engine (once per process; later calls do nothing)."""
    if is_applied():
        return
    _patch_column_reflection()
    _patch_regex()
    _patch_execute_query()  # last: `is_applied` looks at it


def _patch_execute_query() -> None:
    from great_expectations.execution_engine.sqlalchemy_execution_engine import (
        SqlAlchemyExecutionEngine,
    )

    original = SqlAlchemyExecutionEngine.execute_query

    def execute_query(self: SqlAlchemyExecutionEngine, query: Any) -> Any:
        if self.dialect_name != DIALECT:
            return original(self, query)
        with self.get_connection() as connection:
            result = self._execute_query_with_recovery(connection, query)
            # Buffer while the connection is still checked out; calling the frozen result
            # gives a Result over the buffered rows.
            return result.freeze()() if result.returns_rows else result

    execute_query.__doc__ = original.__doc__
    setattr(execute_query, _APPLIED, True)
    SqlAlchemyExecutionEngine.execute_query = execute_query  # type: ignore[method-assign]


def column_type(dialect: Any, data_type: str) -> Any:
    """The SQLAlchemy type of a DuckDB `information_schema` data type (NullType if unknown)."""
    import sqlalchemy as sa

    match = re.fullmatch(r"\s*([A-Za-z_ ]+?)\s*(?:\((\d+)\s*(?:,\s*(\d+))?\))?\s*", data_type)
    if not match:
        return sa.types.NullType()
    name = match.group(1).lower()
    name = _TYPE_ALIASES.get(name, name)
    type_class = dialect.ischema_names.get(name)
    if type_class is None:
        return sa.types.NullType()
    if name == "numeric" and match.group(2):
        return sa.Numeric(int(match.group(2)), int(match.group(3) or 0))
    return type_class()


def _patch_column_reflection() -> None:
    import duckdb_engine
    import sqlalchemy as sa

    def get_columns(
        self: Any, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[dict[str, Any]]:
        rows = connection.execute(
            sa.text(
                "select column_name, data_type, is_nullable from information_schema.columns "
                "where table_name = :table and table_schema = coalesce(:schema, current_schema()) "
                "order by ordinal_position"
            ),
            {"table": str(table_name), "schema": schema},
        ).fetchall()
        if not rows:
            raise sa.exc.NoSuchTableError(f"{schema}.{table_name}" if schema else table_name)
        return [
            {
                "name": name,
                "type": column_type(self, data_type),
                "nullable": nullable == "YES",
                "default": None,
                "autoincrement": False,
                "comment": None,
            }
            for name, data_type, nullable in rows
        ]

    duckdb_engine.Dialect.get_columns = get_columns


def _patch_regex() -> None:
    import sqlalchemy as sa
    from great_expectations.expectations.metrics import util
    from great_expectations.expectations.metrics.column_map_metrics import (
        column_values_match_regex,
        column_values_match_regex_list,
        column_values_not_match_regex,
        column_values_not_match_regex_list,
    )

    original = util.get_dialect_regex_expression

    def get_dialect_regex_expression(
        column: Any, regex: str, dialect: Any, positive: bool = True
    ) -> Any:
        if getattr(dialect, "name", None) != DIALECT:
            return original(column, regex, dialect, positive)
        matches = sa.func.regexp_matches(column, sa.literal(regex))
        return matches if positive else sa.not_(matches)

    # The metric modules imported the function by name: replace it where it is used.
    for module in (
        util,
        column_values_match_regex,
        column_values_match_regex_list,
        column_values_not_match_regex,
        column_values_not_match_regex_list,
    ):
        module.get_dialect_regex_expression = get_dialect_regex_expression  # type: ignore[attr-defined]
