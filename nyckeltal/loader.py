"""`nyckeltal load DIR`: validate a folder of raw files, then replace the raw tables.

DuckDB reads every file itself (`read_csv`, `read_parquet`) into a private staging database
and checks it against the contract (`nyckeltal.contract`) in SQL: files, columns, types,
required values, primary keys, enumerations, ranges, foreign keys across systems and
exchange rates. Any subset of the tables may be given, `crm.customers` at least; the absent
ones are written empty and recorded as absent in the load manifest (`loading.absent`). The
fast path (`loading.screen`) stages the files already typed and only asks
whether everything is valid; if anything is not, the detailed validation (`loading.staging`,
`loading.checks`) collects every problem and `LoadError` reports them all, the warehouse not
even opened. Otherwise the fifteen raw tables and the manifest are replaced, all or nothing,
in the run's engine (`Engine.write_raw_tables`, nyckeltal.engine): the DuckDB warehouse file
(attached, one transaction), the PostgreSQL server (one transaction), or Parquet folders that
dbt registers as Spark tables. DuckDB's memory, threads and spill folder come from the run's
context (nyckeltal.context).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from nyckeltal.context import DuckDBLimits, RunContext
from nyckeltal.contract import TABLES, TABLES_BY_KEY
from nyckeltal.engine.base import RawTables
from nyckeltal.horizon import DateWindow
from nyckeltal.loading.absent import absent_keys, with_absent_tables
from nyckeltal.loading.checks import check_currencies, check_foreign_keys, check_table
from nyckeltal.loading.files import discover, not_named
from nyckeltal.loading.problems import LoadError, Problem, plural
from nyckeltal.loading.screen import screen
from nyckeltal.loading.staging import StagedTable, stage
from nyckeltal.vendor_layouts import vendor_tables

__all__ = ["LoadError", "LoadReport", "TableLoad", "load_directory"]


@dataclass(frozen=True)
class TableLoad:
    """One raw table written by a load."""

    relation: str
    file: str
    rows: int


@dataclass(frozen=True)
class LoadReport:
    """What a successful load wrote, and how long it took."""

    directory: Path
    warehouse: Path | str  # the DuckDB file, or where the other engine's raw tables went
    tables: tuple[TableLoad, ...]
    seconds: float
    absent: tuple[str, ...] = ()  # contract tables without a file: written empty, not loaded

    @property
    def rows(self) -> int:
        return sum(table.rows for table in self.tables)

    def summary(self) -> str:
        """One line per table with its row count, then the total and the time taken."""
        width = max(len(table.relation) for table in self.tables) + 4
        lines = [f"Loaded {self.directory} into {self.warehouse}:"]
        lines += [
            f"  {table.relation:<{width}} {table.rows:>12,} rows  ({table.file})"
            for table in self.tables
        ]
        absent = [f"{TABLES_BY_KEY[key].schema}.{TABLES_BY_KEY[key].name}" for key in self.absent]
        lines += [f"  {relation:<{width}} {'absent':>12}       (no file)" for relation in absent]
        lines.append(
            f"{plural(len(self.tables), 'table')}, {plural(self.rows, 'row')} "
            f"in {self.seconds:.2f} s"
            + (f"; {plural(len(self.absent), 'table')} absent" if self.absent else "")
        )
        return "\n".join(lines)


def load_directory(
    directory: str | Path,
    context: RunContext,
    progress: Callable[[str], None] | None = None,
    today: dt.date | None = None,
) -> LoadReport:
    """Validate the files of `directory`, then replace the raw tables of the context's
    warehouse on its engine.

    Raises `LoadError` listing every problem found (the warehouse is then untouched), or if
    the warehouse cannot be written (locked by another process; rolled back).
    `progress` receives one line per table as the work goes (default: print to stdout).
    Dates must lie from 1970-01-01 to the horizon after `today` (default: the context's day;
    RunContext.date_window).
    """
    started = time.perf_counter()
    progress = progress or _print_now
    directory, warehouse = Path(directory), context.warehouse
    currency = context.reporting_currency
    # Tables a vendor source maps at the refresh (nyckeltal.vendors): no file needed, and
    # references into them are checked after the mapping.
    deferred = vendor_tables(context.settings)
    files, problems = discover(directory, deferred)
    dates = context.date_window(today)
    progress(f"Validating {plural(len(files), 'file')} in {directory}")
    with _validation_database(warehouse, context.duckdb) as connection:
        staged = None
        if not problems:
            staged = screen(connection, files, currency, dates, progress, deferred)
        if staged is None:
            _reset(connection)
            staged = _stage_and_check(
                connection, files, problems, dates, currency, progress, deferred
            )
        if problems:
            raise LoadError.from_problems(directory, problems)
        absent = absent_keys(staged)
        staged = with_absent_tables(connection, staged)
        written = context.engine.write_raw_tables(
            RawTables(connection, staged, progress), warehouse
        )
    tables = tuple(
        TableLoad(f"{s.table.schema}.{s.table.name}", s.file, s.rows)
        for s in staged
        if s.table.key in TABLES_BY_KEY and s.table.key not in absent
    )
    return LoadReport(directory, written, tables, time.perf_counter() - started, absent)


def _print_now(line: str) -> None:
    print(line, flush=True)


@contextmanager
def _validation_database(
    warehouse: Path, limits: DuckDBLimits
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A private in-memory DuckDB in UTC, sized by `limits`, spilling to a private folder.

    The folder is under the limits' temp directory (else the warehouse's folder, else the
    system's temporary folder while that does not exist yet); DuckDB creates it only if it
    spills, and it is removed.
    """
    base = limits.temp_directory or warehouse.parent
    if not base.is_dir():
        base = Path(tempfile.gettempdir())
    spill = base / f".nyckeltal-load-{os.getpid()}.tmp"
    connection = duckdb.connect(
        ":memory:",
        config={
            "memory_limit": limits.memory_limit,
            "threads": limits.threads,
            "temp_directory": str(spill),
        },
    )
    try:
        connection.execute("set TimeZone = 'UTC'")
        yield connection
    finally:
        connection.close()
        shutil.rmtree(spill, ignore_errors=True)


def _reset(connection: duckdb.DuckDBPyConnection) -> None:
    """Drop every table of the staging database (before the detailed validation)."""
    for (name,) in connection.execute(
        "select table_name from duckdb_tables() where database_name = 'memory'"
    ).fetchall():
        connection.execute(f"drop table {name}")


def _stage_and_check(
    connection: duckdb.DuckDBPyConnection,
    files: Mapping[str, Path],
    problems: list[Problem],
    dates: DateWindow,
    currency: str,
    progress: Callable[[str], None],
    deferred: frozenset[str] = frozenset(),
) -> list[StagedTable]:
    """Stage and check every file, then the cross-table rules (not the references into the
    `deferred` tables); problems are appended."""
    staged: dict[str, StagedTable] = {}
    for table in TABLES:
        if table.key not in files:
            continue
        started = time.perf_counter()
        staged_table, found = stage(connection, table, files[table.key])
        if staged_table.usable:
            found += check_table(connection, staged_table, dates)
        staged[table.key] = staged_table
        problems += found
        progress(_progress_line(table.key, staged_table.rows, started, len(found)))
    started = time.perf_counter()
    absent = not_named(files, problems) - deferred
    found = check_foreign_keys(staged, connection, absent)
    found += check_currencies(staged, connection, currency, absent)
    problems += found
    progress(_progress_line("foreign keys, exchange rates", None, started, len(found)))
    return list(staged.values())


def _progress_line(label: str, rows: int | None, started: float, problems: int) -> str:
    counted = f"{rows:>12,} rows" if rows is not None else " " * 17
    line = f"  {label:<34} {counted} {time.perf_counter() - started:7.2f} s"
    return line + (f"  {plural(problems, 'problem')}" if problems else "")
