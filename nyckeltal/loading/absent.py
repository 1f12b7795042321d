"""Optional tables: a load may hold any subset of the contract, `crm.customers` at least.

A table without a file is *absent*: the loader writes it empty (typed, so that dbt's graph
stays intact) and records it in the load manifest `raw_nyckeltal.tables_loaded` (one row
per contract table: loaded or not, with its rows), written in the same transaction
as the tables. An absent table is thereby told apart from a loaded one (which is never
empty: the loader refuses a file without rows). dbt reads the manifest to mark the KPI
families whose inputs are absent as not available (`kpi_family_availability`).

A reference into an absent table is an error naming both tables, unless the referencing
column is nullable (the contract's `null ->`) and left empty in every row: an optional
reference may be omitted, never dangle. Money in a currency other than the reporting one
needs `billing.fx_rates` loaded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb

from nyckeltal.contract import TABLES, ForeignKey, Table
from nyckeltal.loading.conversions import IDENTITY
from nyckeltal.loading.problems import LoadError, Problem, plural
from nyckeltal.loading.sql import literal
from nyckeltal.loading.staging import StagedTable
from nyckeltal.raw_schema import MANIFEST, create_table_sql

MINIMUM = "crm.customers"
FX_RATES = "billing.fx_rates"


def require_minimum(directory: Path, files: Mapping[str, Path], refused: bool) -> None:
    """Raise a one-line `LoadError` when the folder has no customers file (`refused`: there
    is one, but it was refused, which the load's problems report)."""
    if MINIMUM not in files and not refused:
        raise LoadError(
            f"{directory} has no crm__customers.csv or .parquet: the customer accounts are the "
            "minimum a load needs (every other table of docs/data-contract.md is optional)"
        )


def absent_parent(foreign_key: ForeignKey, staged: Mapping[str, StagedTable]) -> bool:
    return foreign_key.references not in staged


def absent_reference_problem(
    connection: duckdb.DuckDBPyConnection, child: StagedTable, foreign_key: ForeignKey
) -> Problem | None:
    """The rows of `child` that set a reference into an absent table (None: none do)."""
    column = foreign_key.column
    condition = f"{child.source(column, 't')} is not null"
    count, samples = child.sample_rows(connection, condition, [column])
    if not count:
        return None
    stem = foreign_key.references.replace(".", "__")
    optional = " or leave it empty" if child.table.column(column).nullable else ""
    message = (
        f"{plural(count, 'row')} refer to {foreign_key.references}, which this load does not "
        f"have (foreign key to {foreign_key.references}): add {stem}.csv or .parquet{optional}"
    )
    return Problem(child.file, message, (column,), samples)


def missing_rates_problem(
    connection: duckdb.DuckDBPyConnection, money: StagedTable, reporting_currency: str
) -> Problem | None:
    """Rows in a currency other than the reporting one when `billing.fx_rates` is absent."""
    currency_column = money.table.currency_column or ""
    condition = f"{money.typed(currency_column, 't')} <> {literal(reporting_currency)}"
    count, samples = money.sample_rows(connection, condition, [currency_column])
    if not count:
        return None
    message = (
        f"{plural(count, 'row')} in a currency other than the reporting currency "
        f"{reporting_currency}, but this load has no billing.fx_rates (billing__fx_rates.csv or "
        ".parquet) to convert them"
    )
    return Problem(money.file, message, (currency_column,), samples)


def with_absent_tables(
    connection: duckdb.DuckDBPyConnection, staged: Sequence[StagedTable]
) -> list[StagedTable]:
    """`staged` in contract order with an empty typed table for every absent one, then the
    load manifest: what the writers replace, all in one transaction."""
    by_key = {table.table.key: table for table in staged}
    tables = [by_key.get(table.key) or _empty(connection, table) for table in TABLES]
    return [*tables, _manifest(connection, by_key)]


def absent_keys(staged: Sequence[StagedTable]) -> tuple[str, ...]:
    present = {table.table.key for table in staged}
    return tuple(table.key for table in TABLES if table.key not in present)


def _typed_staged(
    connection: duckdb.DuckDBPyConnection, table: Table, name: str, rows: int
) -> StagedTable:
    staged = StagedTable(table, Path(name), rows=rows, usable=True)
    staged.conversions = {column.name: IDENTITY for column in table.columns}
    connection.execute(f"drop table if exists {staged.relation}")
    connection.execute(create_table_sql(table, staged.relation))
    return staged


def _empty(connection: duckdb.DuckDBPyConnection, table: Table) -> StagedTable:
    return _typed_staged(connection, table, "(absent)", 0)


def _manifest(
    connection: duckdb.DuckDBPyConnection, present: Mapping[str, StagedTable]
) -> StagedTable:
    staged = _typed_staged(connection, MANIFEST, "(load manifest)", len(TABLES))
    rows = [
        (
            table.key,
            table.key in present,
            present[table.key].rows if table.key in present else 0,
        )
        for table in TABLES
    ]
    # Literals, not parameters: binding the first parameter of a process makes DuckDB's
    # Python client import its NumPy/pandas support (about 0.8 s of CPU for three columns).
    values = ", ".join(
        f"({literal(key)}, {'true' if loaded else 'false'}, {count})" for key, loaded, count in rows
    )
    connection.execute(f"insert into {staged.relation} values {values}")
    return staged
