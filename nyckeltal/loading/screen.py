"""The fast path of a load: every contract check in a few SQL statements per table.

Each file is read by DuckDB (`read_csv` / `read_parquet`) straight into a typed staging table,
converted to the contract types in the same statement, with one boolean per record, `_bad`,
that is true when any row check (`checks.row_checks`: type, required value, enumeration,
range) fails. Then one aggregate per table, one `group by` for the primary key and one anti
join per foreign key and currency answer a single question: is everything valid?

Screening only says yes or no; it stops at the first failure. The report of a failing load
(every problem, with lines and values) comes from the detailed validation (`staging` and
`checks`), which runs only then. Both use the same conversions and row conditions, so a file
the screen accepts has no problem the detailed validation would report.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path

import duckdb

from nyckeltal.contract import TABLES, Table
from nyckeltal.horizon import DateWindow
from nyckeltal.loading.checks import FX_RATES, row_checks
from nyckeltal.loading.conversions import IDENTITY, text_conversion, typed_conversion
from nyckeltal.loading.problems import plural
from nyckeltal.loading.sql import first_line, literal, quote
from nyckeltal.loading.staging import StagedTable, csv_select, read_header

BAD = "_bad"


class Rejected(Exception):
    """The screen found something wrong (the detailed validation says what)."""


def screen(
    connection: duckdb.DuckDBPyConnection,
    files: Mapping[str, Path],
    reporting_currency: str,
    dates: DateWindow,
    progress: Callable[[str], None],
    deferred: frozenset[str] = frozenset(),
) -> list[StagedTable] | None:
    """Typed staging tables of every file when all checks pass; None at the first failure.

    The staging tables hold the contract columns in their contract types (their conversion is
    the identity), ready to be copied into the warehouse.
    """
    staged: dict[str, StagedTable] = {}
    # Record order only matters to the detailed validation (line numbers): reading and
    # materializing in parallel without it is about a third cheaper.
    connection.execute("set preserve_insertion_order = false")
    try:
        for table in (table for table in TABLES if table.key in files):
            started = time.perf_counter()
            staged[table.key] = _screen_table(connection, table, files[table.key], dates)
            progress(_line(table.key, staged[table.key].rows, started))
        started = time.perf_counter()
        _foreign_keys(connection, staged, deferred)
        _currencies(connection, staged, reporting_currency)
        progress(_line("foreign keys, exchange rates", None, started))
    except Rejected as rejected:
        progress(f"  {rejected}: collecting every problem")
        return None
    finally:
        connection.execute("set preserve_insertion_order = true")
    return list(staged.values())


def _line(label: str, rows: int | None, started: float) -> str:
    counted = f"{rows:>12,} rows" if rows is not None else " " * 17
    return f"  {label:<34} {counted} {time.perf_counter() - started:7.2f} s"


def _screen_table(
    connection: duckdb.DuckDBPyConnection, table: Table, path: Path, dates: DateWindow
) -> StagedTable:
    staged = StagedTable(table, path)
    source = _csv_source(staged) if staged.is_csv else _parquet_source(connection, staged)
    typed = ", ".join(f"{staged.typed(c.name, 't')} as {quote(c.name)}" for c in table.columns)
    conditions = [
        f"({check.condition})" for c in table.columns for check in row_checks(staged, c, dates)
    ]
    bad = f"coalesce({' or '.join(conditions)}, false)" if conditions else "false"
    try:
        connection.execute(
            f"create table {staged.relation} as select {typed}, {bad} as {BAD} from ({source}) as t"
        )
    except duckdb.Error as error:
        raise Rejected(f"{staged.file} cannot be read: {first_line(error)}") from None
    rows, bad_rows = connection.execute(
        f"select count(*), count(*) filter (where {BAD}) from {staged.relation}"
    ).fetchone()
    if rows == 0:
        raise Rejected(f"{staged.file} has no rows")
    if bad_rows:
        raise Rejected(f"{staged.file} has {plural(bad_rows, 'invalid row')}")
    key = ", ".join(quote(column) for column in table.primary_key)
    duplicated = connection.execute(
        f"select exists (select 1 from {staged.relation} group by {key} having count(*) > 1)"
    ).fetchone()[0]
    if duplicated:
        raise Rejected(f"{staged.file} repeats a primary key")
    staged.rows, staged.usable = rows, True
    staged.conversions = {column.name: IDENTITY for column in table.columns}
    return staged


def _csv_source(staged: StagedTable) -> str:
    header = read_header(staged.path)
    names = [column.name for column in staged.table.columns]
    if not isinstance(header, list) or any(header.count(name) != 1 for name in names):
        raise Rejected(f"{staged.file} has no valid header")
    staged.conversions = {c.name: text_conversion(c) for c in staged.table.columns}
    return csv_select(staged, header)


def _parquet_source(connection: duckdb.DuckDBPyConnection, staged: StagedTable) -> str:
    source = f"read_parquet({literal(str(staged.path))})"
    try:
        rows = connection.execute(f"describe select * from {source}").fetchall()
        schema = {row[0]: row[1] for row in rows}
    except duckdb.Error as error:
        raise Rejected(f"{staged.file} cannot be read: {first_line(error)}") from None
    for column in staged.table.columns:
        conversion = typed_conversion(column, schema.get(column.name, ""))
        if column.name not in schema or conversion is None:
            raise Rejected(f"{staged.file} lacks a column of a compatible type")
        staged.conversions[column.name] = conversion
    selected = ", ".join(quote(column.name) for column in staged.table.columns)
    return f"select {selected} from {source}"


def _foreign_keys(
    connection: duckdb.DuckDBPyConnection,
    staged: Mapping[str, StagedTable],
    deferred: frozenset[str],
) -> None:
    """Every reference resolves, except into the `deferred` tables (mapped from a vendor
    source at the refresh, and checked then)."""
    for child in staged.values():
        for foreign_key in child.table.foreign_keys:
            parent = staged.get(foreign_key.references)
            if parent is None and foreign_key.references in deferred:
                continue
            column = quote(foreign_key.column)
            if parent is None:  # absent: no value may refer to it
                if _exists(connection, child.relation, f"{column} is not null"):
                    raise Rejected(f"{child.file} refers to the absent {foreign_key.references}")
                continue
            orphans = connection.execute(
                f"select exists (select 1 from {child.relation} as c anti join "
                f"{parent.relation} as p on c.{column} = p.{quote(foreign_key.referenced_column)}"
                f" where c.{column} is not null)"
            ).fetchone()[0]
            if orphans:
                raise Rejected(f"{child.file} has a {foreign_key.column} with no parent")


def _currencies(
    connection: duckdb.DuckDBPyConnection,
    staged: Mapping[str, StagedTable],
    reporting_currency: str,
) -> None:
    rates = staged.get(FX_RATES)
    for money in staged.values():
        currency_column = money.table.currency_column
        if not currency_column:
            continue
        if rates is None:  # absent: only the reporting currency needs no rate
            other = f"{quote(currency_column)} <> {literal(reporting_currency)}"
            if _exists(connection, money.relation, other):
                raise Rejected(f"{money.file} has a currency but {FX_RATES} is absent")
            continue
        date_column = money.table.conversion_date_column
        currency = f"t.{quote(currency_column)}"
        too_late = f" or r.first_date > cast(t.{quote(date_column)} as date)" if date_column else ""
        missing = connection.execute(
            f"with first_rates as (select currency, min(rate_date) as first_date "
            f"from {rates.relation} group by 1) "
            f"select exists (select 1 from {money.relation} as t "
            f"left join first_rates as r on r.currency = {currency} "
            f"where {currency} is not null and {currency} <> {literal(reporting_currency)} "
            f"and (r.first_date is null{too_late}))"
        ).fetchone()[0]
        if missing:
            raise Rejected(f"{money.file} has a currency without an exchange rate")


def _exists(connection: duckdb.DuckDBPyConnection, relation: str, condition: str) -> bool:
    query = f"select exists (select 1 from {relation} where {condition})"
    return bool(connection.execute(query).fetchone()[0])
