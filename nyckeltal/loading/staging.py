"""Read each file into the in-memory validation database, untyped, and say how to type it.

A staged table holds the contract columns of one file exactly as they were read (all text for
CSV, the file's own types for Parquet), in file order, so that `rowid` is the record's
position in the file. `StagedTable.typed(column)` is the SQL converting a column to its
contract type; it yields null where a value does not convert, which is what the checks count.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from nyckeltal.contract import Column, Table
from nyckeltal.loading.conversions import Conversion, text_conversion, typed_conversion
from nyckeltal.loading.problems import (
    MAX_SAMPLES,
    Problem,
    format_pairs,
    format_value,
    plural,
)
from nyckeltal.loading.sql import first_line, literal, quote
from nyckeltal.terminal import printable

# Malformed CSV lines recorded per file (the count shown is "at least" beyond that).
REJECTS_LIMIT = 1000
MAX_HEADER_BYTES = 1 << 20
OTHER_DELIMITERS = (";", "\t", "|")


@dataclass
class StagedTable:
    """One file read into the validation database (contract columns only, in file order)."""

    table: Table
    path: Path
    conversions: dict[str, Conversion] = field(default_factory=dict)
    rows: int = 0
    # True once the file was read completely with every contract column: checks can run.
    usable: bool = False
    _exact_lines: bool | None = None

    @property
    def relation(self) -> str:
        return f"staged_{self.table.system}__{self.table.name}"

    @property
    def file(self) -> str:
        return self.path.name

    @property
    def is_csv(self) -> bool:
        return self.path.suffix.lower() == ".csv"

    def source(self, column: str, alias: str | None = None) -> str:
        """SQL of the column as read from the file."""
        return f"{alias}.{quote(column)}" if alias else quote(column)

    def typed(self, column: str, alias: str | None = None) -> str:
        """SQL of the column converted to its contract type (null where it does not convert)."""
        return self.conversions[column].sql(self.source(column, alias))

    def locate(self, position: int) -> str:
        """Where record `position` (0-based) is: `line N` in a CSV file, `row N` in Parquet.

        CSV line numbers count the header as line 1; when quoted values span lines (the file
        has more lines than records), the record number is given instead.
        """
        if not self.is_csv:
            return f"row {position + 1}"
        if self._exact_lines is None:
            self._exact_lines = _physical_lines(self.path) == self.rows + 1
        return f"line {position + 2}" if self._exact_lines else f"record {position + 1}"

    def describe(
        self, position: int, key: Sequence[object], shown: Sequence[str], values: Sequence[object]
    ) -> str:
        """`line 4 (invoice_id='I3'): customer_id='C99'` for one offending record."""
        primary_key = self.table.primary_key
        text = f"{self.locate(position)} ({format_pairs(primary_key, key)})"
        extra = [
            (name, value)
            for name, value in zip(shown, values, strict=True)
            if name not in primary_key
        ]
        if extra:
            text += ": " + format_pairs([n for n, _ in extra], [v for _, v in extra])
        return text

    def sample_rows(
        self, connection: duckdb.DuckDBPyConnection, condition: str, shown: Sequence[str]
    ) -> tuple[int, tuple[str, ...]]:
        """How many records match `condition` (SQL over alias `t`), and the first few described."""
        key = self.table.primary_key
        columns = ", ".join(self.source(name, "t") for name in (*key, *shown))
        rows = connection.execute(
            f"select t.rowid, count(*) over (), {columns} from {self.relation} as t "
            f"where {condition} order by t.rowid limit {MAX_SAMPLES}"
        ).fetchall()
        samples = tuple(
            self.describe(row[0], row[2 : 2 + len(key)], shown, row[2 + len(key) :]) for row in rows
        )
        return (rows[0][1] if rows else 0), samples


def _physical_lines(path: Path) -> int:
    newlines, last = 0, b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 24):
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
    return newlines + (0 if last == b"\n" else 1)


def stage(
    connection: duckdb.DuckDBPyConnection, table: Table, path: Path
) -> tuple[StagedTable, list[Problem]]:
    """Read `path` into the validation database; the problems that stop any further check."""
    staged = StagedTable(table, path)
    problems = (
        _stage_csv(connection, staged) if staged.is_csv else _stage_parquet(connection, staged)
    )
    if not problems:
        staged.rows = connection.execute(f"select count(*) from {staged.relation}").fetchone()[0]
        if staged.rows == 0:
            what = "a header but no rows" if staged.is_csv else "no rows"
            problems.append(Problem(staged.file, f"has {what}: {table.key} must not be empty"))
    staged.usable = not problems
    return staged, problems


def _missing_columns(staged: StagedTable, present: Sequence[str]) -> list[Problem]:
    """The contract columns `present` lacks. The names it has are listed only when it has
    some contract column: the first line of a file that is not a CSV of the contract (a
    link's target, a binary file) is never echoed."""
    missing = tuple(c.name for c in staged.table.columns if c.name not in present)
    if not missing:
        return []
    if len(missing) == len(staged.table.columns):
        what = "a header" if staged.is_csv else "columns"
        message = f"missing (the file has {what} with none of the contract's columns)"
        return [Problem(staged.file, message, missing)]
    listed = ", ".join(_shown_name(name) for name in present[:30])
    listed += ", ..." if len(present) > 30 else ""
    return [Problem(staged.file, f"missing (the file has: {listed})", missing)]


def _shown_name(name: str) -> str:
    return printable(name if len(name) <= 40 else name[:37] + "...")


def _other_delimiter(staged: StagedTable, header: Sequence[str]) -> list[Problem]:
    """A header that splits on `;`, a tab or `|` but not on `,`: the file's delimiter."""
    for delimiter in OTHER_DELIMITERS:
        if len(header) == 1 and delimiter in header[0]:
            message = f"uses {delimiter!r} as delimiter; the contract's CSV files use ','"
            return [Problem(staged.file, message)]
    return []


def _stage_csv(connection: duckdb.DuckDBPyConnection, staged: StagedTable) -> list[Problem]:
    header = read_header(staged.path)
    if isinstance(header, Problem):
        return [header]
    problems = _other_delimiter(staged, header) or _missing_columns(staged, header)
    repeated = tuple(c.name for c in staged.table.columns if header.count(c.name) > 1)
    if repeated:
        problems.append(Problem(staged.file, "appears more than once in the header", repeated))
    if problems:
        return problems
    rejects = f"rejects_{staged.table.system}__{staged.table.name}"
    try:
        connection.execute(
            f"create table {staged.relation} as {csv_select(staged, header, rejects)}"
        )
    except duckdb.Error as error:
        return [Problem(staged.file, f"cannot be read as CSV: {first_line(error)}")]
    staged.conversions = {c.name: text_conversion(c) for c in staged.table.columns}
    return _rejected_lines(connection, staged, rejects, len(header))


def csv_select(staged: StagedTable, header: Sequence[str], rejects: str | None = None) -> str:
    """`select` of the contract columns of a CSV file, as text, in file order.

    With `rejects`, malformed lines are skipped and recorded in that table (up to
    REJECTS_LIMIT); without, the first one makes the query fail.
    """
    # Positional names (c0, c1, ...) so that any header, even with blanks or repeats, reads.
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header)))
    selected = ", ".join(
        f"c{header.index(c.name)} as {quote(c.name)}" for c in staged.table.columns
    )
    options = (
        f", store_rejects = true, rejects_table = '{rejects}', "
        f"rejects_scan = '{rejects}_scan', rejects_limit = {REJECTS_LIMIT}"
        if rejects
        else ""
    )
    return (
        f"select {selected} from read_csv("
        f"{literal(str(staged.path))}, auto_detect = false, header = true, "
        f"columns = {{{columns}}}, delim = ',', quote = '\"', escape = '\"', "
        f"strict_mode = true, null_padding = false, encoding = 'utf-8'{options})"
    )


def read_header(path: Path) -> list[str] | Problem:
    with path.open("rb") as handle:
        first = handle.readline(MAX_HEADER_BYTES)
    if not first.strip():
        return Problem(path.name, "is empty: no header row (every table needs a header and rows)")
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return Problem(path.name, f"is not UTF-8: invalid byte at position {error.start} of line 1")
    try:
        return next(csv.reader([text.rstrip("\r\n")]))
    except csv.Error as error:
        return Problem(path.name, f"has a malformed header line: {error}")


def _rejected_lines(
    connection: duckdb.DuckDBPyConnection, staged: StagedTable, rejects: str, fields: int
) -> list[Problem]:
    rows = connection.execute(
        f"select line, first(error_message order by column_idx), first(csv_line), "
        f"count(*) over () from {rejects} group by line order by line limit {MAX_SAMPLES}"
    ).fetchall()
    if not rows:
        return []
    total = rows[0][3]
    count = f"at least {total:,}" if total >= REJECTS_LIMIT else f"{total:,}"
    samples = tuple(
        f"line {line}: {printable(message.rstrip('.'))}: {format_value(text)}"
        for line, message, text, _ in rows
    )
    return [
        Problem(
            staged.file,
            f"is malformed: {count} bad {'line' if total == 1 else 'lines'} (expected UTF-8, "
            f"{fields} comma-separated fields per line as in the header, values with commas, "
            "quotes or line breaks in double quotes)",
            samples=samples,
        )
    ]


def _stage_parquet(connection: duckdb.DuckDBPyConnection, staged: StagedTable) -> list[Problem]:
    source = f"read_parquet({literal(str(staged.path))})"
    try:
        schema = {
            row[0]: row[1]
            for row in connection.execute(f"describe select * from {source}").fetchall()
        }
    except duckdb.Error as error:
        return [Problem(staged.file, f"is not a readable Parquet file: {first_line(error)}")]
    problems = _missing_columns(staged, list(schema))
    if problems:
        return problems
    selected = ", ".join(quote(c.name) for c in staged.table.columns)
    try:
        connection.execute(f"create table {staged.relation} as select {selected} from {source}")
    except duckdb.Error as error:
        return [Problem(staged.file, f"is not a readable Parquet file: {first_line(error)}")]
    for column in staged.table.columns:
        converted = typed_conversion(column, schema[column.name])
        if converted is None:
            problems.append(_incompatible(connection, staged, column, schema[column.name]))
        else:
            staged.conversions[column.name] = converted
    return problems


def _incompatible(
    connection: duckdb.DuckDBPyConnection, staged: StagedTable, column: Column, source_type: str
) -> Problem:
    condition = f"{staged.source(column.name, 't')} is not null"
    total, samples = staged.sample_rows(connection, condition, [column.name])
    return Problem(
        staged.file,
        f"has the Parquet type {source_type}, which does not convert to the contract type "
        f"{column.type} ({plural(total, 'value')} affected)",
        (column.name,),
        samples,
    )
