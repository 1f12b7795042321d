"""CSV for people who open it in a spreadsheet: no cell can run as a formula.

Excel, LibreOffice and Google Sheets evaluate a cell that starts with `=`, `+`, `-` or `@`
(and, after a tab or a carriage return, whatever follows), so a product name such as
`=cmd|' /C calc'!A0` coming from a source system would run on the reader's machine
(CSV injection). As OWASP recommends, such TEXT cells are prefixed with a `'`, which the
spreadsheet shows as text; numbers (a negative amount too), dates and empty cells are
written as they are. Only CSV meant for people goes through here: the typed publications
(DuckDB, Parquet, PostgreSQL) keep their values untouched.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """`value`, with a `'` in front when it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv(stream: TextIO, rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """A header of `columns`, then one line per row, every text cell neutralised."""
    writer = csv.writer(stream)
    writer.writerow([neutralise(column) for column in columns])
    for row in rows:
        writer.writerow([neutralise(row.get(column)) for column in columns])
