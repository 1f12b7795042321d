"""Two warehouses' rows compared with floats up to their last bits.

A KPI value is a sum over rows; DuckDB adds them in an order that depends on its threads and
on the physical order of the rows (an incremental refresh appends), so two builds of the same
data may differ in the last bits of a double. Everything else compares exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def same_value(
    actual: object, expected: object, rel_tol: float = 1e-12, abs_tol: float = 1e-9
) -> bool:
    """Equal, floats up to `rel_tol` (and `abs_tol` near zero): the last bits of one engine's
    sums by default; another engine's arithmetic (PostgreSQL's numeric, Spark's doubles)
    with a wider `rel_tol`."""
    if isinstance(actual, float) and isinstance(expected, float):
        return math.isclose(actual, expected, rel_tol=rel_tol, abs_tol=abs_tol)
    return actual == expected


def without_floats(row: tuple) -> tuple:
    """The row's sort key: its values with every float and None blanked out (the other values
    identify a row of a table with a key; a float's last bits must not reorder rows)."""
    return tuple(
        (False, 0) if value is None or isinstance(value, float) else (True, value) for value in row
    )


def assert_same_rows(actual: Sequence[tuple], expected: Sequence[tuple], label: str) -> None:
    """`actual` and `expected` hold the same rows in the same order, floats up to rounding."""
    assert len(actual) == len(expected), label
    for actual_row, expected_row in zip(actual, expected, strict=True):
        assert len(actual_row) == len(expected_row), label
        assert all(map(same_value, actual_row, expected_row)), (label, actual_row, expected_row)
