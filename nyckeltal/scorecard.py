"""Reading and printing the kpi_scorecard mart.

The CLI reads the PUBLISHED marts file (`RunContext.published`), never the warehouse dbt
writes to; any DuckDB file holding `marts.kpi_scorecard` can be read.
"""

from __future__ import annotations

import io
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from rich import box
from rich.console import Console
from rich.table import Table

from nyckeltal.errors import NyckeltalError
from nyckeltal.relations import fetch_dicts, has_relation
from nyckeltal.spreadsheet import write_csv
from nyckeltal.terminal import printable

SCORECARD_RELATION = "marts.kpi_scorecard"
COLUMNS = (
    "kpi_code",
    "period_start",
    "period_end",
    "period_grain",
    "segment_type",
    "segment_value",
    "numerator",
    "denominator",
    "value",
    "unit",
    "target_value",
    "status",
    "previous_value",
    "previous_status",
    "is_complete_period",
    "is_suppressed",
)
# Columns added after those of the spec (docs/kpis.md), in this order: the currency of money
# values (null on rows whose unit is not currency).
ADDED_COLUMNS = ("currency_code",)
PUBLISHED_COLUMNS = COLUMNS + ADDED_COLUMNS
# `--summary`: one line per KPI.
SUMMARY_COLUMNS = (
    "kpi_code",
    "period_start",
    "value",
    "unit",
    "target_value",
    "status",
    "previous_value",
    "is_complete_period",
    "currency_code",
)
STATUSES = ("on_track", "at_risk", "off_track", "no_target")
MONEY_COLUMNS = ("value", "target_value", "previous_value")


def read_scorecard(warehouse: Path, kpi: str | None = None) -> list[dict[str, Any]]:
    """All scorecard rows (optionally of one kpi_code), ordered by KPI, period, segment.

    `warehouse` is the DuckDB file to read: the published marts for the CLI.
    """
    if not warehouse.exists():
        raise NyckeltalError(f"no published marts at {warehouse}: run `nyckeltal run` first")
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        if not has_relation(connection, "marts", "kpi_scorecard"):
            raise NyckeltalError(f"{warehouse} has no {SCORECARD_RELATION}: run `nyckeltal run`")
        present = {
            name
            for (name,) in connection.execute(
                "select column_name from information_schema.columns"
                " where table_schema = 'marts' and table_name = 'kpi_scorecard'"
            ).fetchall()
        }
        # A publication made before a column was added reads it as null.
        selected = [c if c in present else f"null as {c}" for c in PUBLISHED_COLUMNS]
        query = f"select {', '.join(selected)} from {SCORECARD_RELATION}"
        parameters: list[Any] = []
        if kpi:
            query += " where kpi_code = ?"
            parameters.append(kpi)
        query += " order by kpi_code, period_start, segment_type, segment_value"
        rows = fetch_dicts(connection.execute(query, parameters))
    if kpi and not rows:
        raise NyckeltalError(f"no scorecard rows for kpi_code {kpi!r}")
    return rows


def latest_totals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per KPI, the total/all row of the latest complete period (else the latest period)."""
    best: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["segment_type"] != "total":
            continue
        current = best.get(row["kpi_code"])
        rank = (row["is_complete_period"], row["period_start"])
        if current is None or rank > (current["is_complete_period"], current["period_start"]):
            best[row["kpi_code"]] = row
    return [best[code] for code in sorted(best)]


MAX_PLACES = 6


def _format_value(value: Any, places: int = 2) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.{places}f}"
    return str(value)


def value_places(value: Any, target: Any) -> int:
    """Decimals for `value` so that it never reads the same as a different target (2.004
    against 2.00: the status is explained by what is shown), 2 at least, 6 at most."""
    places = 2
    if isinstance(value, float) and isinstance(target, float) and value != target:
        while places < MAX_PLACES and round(value, places) == round(target, places):
            places += 1
    return places


def _format_cell(row: dict[str, Any], column: str) -> str:
    """A table cell: money values of a currency row carry its code ("12,345.00 EUR"); the
    value has the decimals that tell it from its target."""
    places = value_places(row[column], row.get("target_value")) if column == "value" else 2
    text = printable(_format_value(row[column], places))
    if text and column in MONEY_COLUMNS and row.get("currency_code"):
        return f"{text} {row['currency_code']}"
    return text


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def scorecard_table(rows: list[dict[str, Any]], columns: tuple[str, ...], boxed: bool) -> Table:
    """The rows as a rich Table: numbers right-aligned, a rule under the header when `boxed`."""
    table = Table(box=box.SIMPLE_HEAD if boxed else None, show_edge=False, pad_edge=False)
    for column in columns:
        numeric = any(_is_number(row[column]) for row in rows)
        table.add_column(column, justify="right" if numeric else "left", no_wrap=True)
    for row in rows:
        table.add_row(*(_format_cell(row, column) for column in columns))
    return table


def print_table(
    rows: list[dict[str, Any]], columns: tuple[str, ...], console: Console | None = None
) -> None:
    """Print the rows as a table: rich's, bold header and rule, on a terminal; elsewhere (a
    pipe, a log) plain text, no escape codes, the columns aligned all the same."""
    console = console or Console(file=sys.stdout)
    if console.is_terminal:
        console.print(scorecard_table(rows, columns, boxed=True))
        return
    buffer = io.StringIO()
    Console(file=buffer, width=100_000, color_system=None).print(
        scorecard_table(rows, columns, boxed=False)
    )
    console.file.write("".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines()))


def print_scorecard(
    warehouse: Path, kpi: str | None = None, output_format: str = "table", summary: bool = False
) -> None:
    rows = read_scorecard(warehouse, kpi)
    columns = PUBLISHED_COLUMNS
    if summary:
        rows = latest_totals(rows)
        columns = SUMMARY_COLUMNS
    if output_format == "json":
        print(json.dumps([{c: row[c] for c in columns} for row in rows], default=str, indent=2))
    elif output_format == "csv":
        write_csv(sys.stdout, rows, columns)  # formula-looking text neutralised
    else:
        print_table(rows, columns)
