"""Reading and printing the kpi_scorecard mart.

The CLI reads the PUBLISHED marts file (`settings.published_path`), never the warehouse dbt
writes to; any DuckDB file holding `marts.kpi_scorecard` can be read.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import duckdb

from nyckeltal.errors import NyckeltalError
from nyckeltal.relations import fetch_dicts, has_relation
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
STATUSES = ("on_track", "at_risk", "off_track", "no_target")


def read_scorecard(warehouse: Path, kpi: str | None = None) -> list[dict[str, Any]]:
    """All scorecard rows (optionally of one kpi_code), ordered by KPI, period, segment.

    `warehouse` is the DuckDB file to read: the published marts for the CLI.
    """
    if not warehouse.exists():
        raise NyckeltalError(f"no published marts at {warehouse}: run `nyckeltal run` first")
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        if not has_relation(connection, "marts", "kpi_scorecard"):
            raise NyckeltalError(f"{warehouse} has no {SCORECARD_RELATION}: run `nyckeltal run`")
        query = f"select {', '.join(COLUMNS)} from {SCORECARD_RELATION}"
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


def _format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def _print_table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    """Rows as aligned text for a terminal (control characters from data escaped)."""
    cells = [[printable(_format_value(row[column])) for column in columns] for row in rows]
    widths = [
        max([len(column)] + [len(line[i]) for line in cells]) for i, column in enumerate(columns)
    ]
    print("  ".join(column.ljust(width) for column, width in zip(columns, widths, strict=True)))
    print("  ".join("-" * width for width in widths))
    for line in cells:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))


def print_scorecard(
    warehouse: Path, kpi: str | None = None, output_format: str = "table", summary: bool = False
) -> None:
    rows = read_scorecard(warehouse, kpi)
    columns = COLUMNS
    if summary:
        rows = latest_totals(rows)
        columns = (
            "kpi_code",
            "period_start",
            "value",
            "unit",
            "target_value",
            "status",
            "previous_value",
            "is_complete_period",
        )
    if output_format == "json":
        print(json.dumps([{c: row[c] for c in columns} for row in rows], default=str, indent=2))
    elif output_format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    else:
        _print_table(rows, columns)
