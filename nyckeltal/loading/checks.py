"""The contract checks, as SQL over the staged tables; each returns every problem it finds.

In-table checks (types, required values, enumerations, ranges) are counted in one scan per
table, and only the failing ones are sampled; the primary key is one `group by`. Cross-table
checks (foreign keys, exchange rates) run once every file is staged, on the usable ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass

import duckdb

from nyckeltal.contract import Column
from nyckeltal.horizon import DateWindow
from nyckeltal.loading.absent import FX_RATES, absent_reference_problem, missing_rates_problem
from nyckeltal.loading.problems import MAX_SAMPLES, Problem, format_pairs, format_value, plural
from nyckeltal.loading.sql import literal
from nyckeltal.loading.staging import StagedTable


@dataclass(frozen=True)
class RowCheck:
    """A condition no record may meet (SQL over alias `t`), and what it means."""

    column: str
    condition: str
    message: str  # follows "N rows "


def check_table(
    connection: duckdb.DuckDBPyConnection, staged: StagedTable, dates: DateWindow
) -> list[Problem]:
    """Types, required values, enumerations, ranges, dates within `dates` and the primary key
    of one staged table."""
    checks = [
        check for column in staged.table.columns for check in row_checks(staged, column, dates)
    ]
    if not checks:
        return _primary_key(connection, staged)
    counts = connection.execute(
        "select "
        + ", ".join(f"count(*) filter (where {check.condition})" for check in checks)
        + f" from {staged.relation} as t"
    ).fetchone()
    problems = []
    for check, count in zip(checks, counts, strict=True):
        if count:
            _, samples = staged.sample_rows(connection, check.condition, [check.column])
            message = f"{plural(count, 'row')} {check.message}"
            problems.append(Problem(staged.file, message, (check.column,), samples))
    return problems + _primary_key(connection, staged)


def row_checks(staged: StagedTable, column: Column, dates: DateWindow) -> Iterator[RowCheck]:
    source, typed = staged.source(column.name, "t"), staged.typed(column.name, "t")
    conversion = staged.conversions[column.name]
    failed = f"{source} is not null and {typed} is null"
    if conversion.is_number:
        number = conversion.number_sql(source)
        yield RowCheck(
            column.name,
            f"{failed} and not ({number})",
            f"with a value that is not {conversion.expected}",
        )
        yield RowCheck(
            column.name,
            f"{failed} and ({number})",
            f"with a number out of range for {column.type} ({conversion.value_range})",
        )
    elif conversion.expected:
        yield RowCheck(column.name, failed, f"with a value that is not {conversion.expected}")
    if not column.nullable:
        yield RowCheck(column.name, f"{source} is null", "with no value (the column is required)")
    if column.accepted_values:
        values = ", ".join(literal(value) for value in column.accepted_values)
        yield RowCheck(
            column.name,
            f"{typed} not in ({values})",
            f"with a value that is not one of: {', '.join(column.accepted_values)}",
        )
    if column.type in ("date", "timestamp"):
        yield RowCheck(
            column.name,
            f"(cast({typed} as date) < {_date(dates.earliest)} "
            f"or cast({typed} as date) > {_date(dates.latest)})",
            f"with a date out of range ({dates.describe()})",
        )
    bounds = []
    if column.min_value is not None:
        bounds.append(f"{typed} {'<=' if column.strict_min else '<'} {column.min_value}")
    if column.max_value is not None:
        bounds.append(f"{typed} > {column.max_value}")
    if bounds:
        yield RowCheck(
            column.name, "(" + " or ".join(bounds) + ")", f"out of range ({_range_text(column)})"
        )


def _date(day: dt.date) -> str:
    return f"date '{day.isoformat()}'"


def _range_text(column: Column) -> str:
    if column.max_value is None:
        return f"must be {'>' if column.strict_min else '>='} {column.min_value:g}"
    if column.min_value is None:
        return f"must be <= {column.max_value:g}"
    low = f"{column.min_value:g} {'<' if column.strict_min else '<='}"
    return f"must be {low} {column.name} <= {column.max_value:g}"


def _primary_key(connection: duckdb.DuckDBPyConnection, staged: StagedTable) -> list[Problem]:
    key = staged.table.primary_key
    names = [f"key_{i}" for i in range(len(key))]
    typed = ", ".join(f"{staged.typed(c, 't')} as {n}" for c, n in zip(key, names, strict=True))
    not_null = " and ".join(f"{staged.typed(column, 't')} is not null" for column in key)
    same_key = " and ".join(
        f"{staged.typed(c, 't')} = d.{n}" for c, n in zip(key, names, strict=True)
    )
    # Count duplicated keys first (cheap on millions of rows), then list the rows of the
    # first few only.
    rows = connection.execute(
        f"with duplicates as (select {typed}, count(*) as n, min(t.rowid) as first_row "
        f"from {staged.relation} as t where {not_null} group by all having count(*) > 1), "
        f"shown as (select *, count(*) over () as total from duplicates "
        f"order by first_row limit {MAX_SAMPLES}) "
        f"select {', '.join(f'd.{n}' for n in names)}, d.n, d.total, "
        f"list(t.rowid order by t.rowid)[1:{MAX_SAMPLES}] "
        f"from shown as d join {staged.relation} as t on {same_key} "
        f"group by all order by any_value(d.first_row)"
    ).fetchall()
    if not rows:
        return []
    samples = tuple(
        f"({format_pairs(key, row[: len(key)])}) appears {row[len(key)]} times: "
        + ", ".join(staged.locate(position) for position in row[-1])
        for row in rows
    )
    what = "value" if len(key) == 1 else "combination"
    message = (
        f"{plural(rows[0][-2], 'key ' + what)} used more than once (the primary key must be unique)"
    )
    return [Problem(staged.file, message, key, samples)]


def check_foreign_keys(
    staged: Mapping[str, StagedTable],
    connection: duckdb.DuckDBPyConnection,
    absent: Collection[str] = (),
) -> list[Problem]:
    """Every set foreign key value exists in the referenced table (across systems); none
    refers to a table of `absent` (contract keys of the tables the load has no file for)."""
    problems = []
    for child in staged.values():
        for foreign_key in child.table.foreign_keys:
            parent = staged.get(foreign_key.references)
            if child.usable and foreign_key.references in absent:
                dangling = absent_reference_problem(connection, child, foreign_key)
                problems += [dangling] if dangling else []
                continue
            if not (child.usable and parent and parent.usable):
                continue
            value = child.typed(foreign_key.column, "t")
            condition = (
                f"{value} is not null and not exists (select 1 from {parent.relation} as p "
                f"where {parent.typed(foreign_key.referenced_column, 'p')} = {value})"
            )
            count, samples = child.sample_rows(connection, condition, [foreign_key.column])
            if count:
                message = (
                    f"{plural(count, 'row')} with a value that is not a "
                    f"{foreign_key.referenced_column} of {parent.file} "
                    f"(foreign key to {foreign_key.references})"
                )
                problems.append(Problem(child.file, message, (foreign_key.column,), samples))
    return problems


def check_currencies(
    staged: Mapping[str, StagedTable],
    connection: duckdb.DuckDBPyConnection,
    reporting_currency: str,
    absent: Collection[str] = (),
) -> list[Problem]:
    """Every money row's currency has an exchange rate on or before its conversion date
    (only the reporting currency when the rates are `absent`)."""
    rates = staged.get(FX_RATES)
    if (rates is None and FX_RATES not in absent) or (rates is not None and not rates.usable):
        return []
    problems = []
    for money in staged.values():
        if money.table.currency_column and money.usable:
            if rates is None:
                unconverted = missing_rates_problem(connection, money, reporting_currency)
                problems += [unconverted] if unconverted else []
            else:
                problems += _missing_rates(connection, money, rates, reporting_currency)
    return problems


def _missing_rates(
    connection: duckdb.DuckDBPyConnection,
    money: StagedTable,
    rates: StagedTable,
    reporting_currency: str,
) -> list[Problem]:
    currency_column = money.table.currency_column
    date_column = money.table.conversion_date_column
    currency = money.typed(currency_column, "t")
    day = f"cast({money.typed(date_column, 't')} as date)" if date_column else "null"
    too_late = f" or r.first_date > {day}" if date_column else ""
    key = money.table.primary_key
    shown = [currency_column, *([date_column] if date_column else [])]
    shown_sql = ", ".join(money.source(name, "t") for name in (*key, *shown))
    rows = connection.execute(
        f"with first_rates as (select {rates.typed('currency')} as currency, "
        f"min({rates.typed('rate_date')}) as first_date from {rates.relation} group by 1) "
        f"select t.rowid, count(*) over (), {currency}, {day}, r.first_date, {shown_sql} "
        f"from {money.relation} as t left join first_rates as r on r.currency = {currency} "
        f"where {currency} is not null and {currency} <> {literal(reporting_currency)} "
        f"and (r.first_date is null{too_late}) order by t.rowid limit {MAX_SAMPLES}"
    ).fetchall()
    if not rows:
        return []
    samples = tuple(
        money.describe(row[0], row[5 : 5 + len(key)], shown, row[5 + len(key) :])
        + _missing_rate_note(*row[2:5])
        for row in rows
    )
    when = f" on or before the UTC date of {date_column}" if date_column else ""
    message = (
        f"{plural(rows[0][1], 'row')} in a currency with no exchange rate in {rates.file}{when} "
        f"(only the reporting currency {reporting_currency} needs none)"
    )
    return [Problem(money.file, message, tuple(shown), samples)]


def _missing_rate_note(currency: str, day: object, first_date: object) -> str:
    if first_date is None:
        return f" - there is no {currency} rate at all"
    return (
        f" - no {currency} rate on or before {format_value(day)}, "
        f"the first is on {format_value(first_date)}"
    )
