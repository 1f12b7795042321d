"""What both oracle modules share: the scorecard row they build, and the comparison with the mart.

Only the column NAMES come from the production package (`nyckeltal.scorecard.COLUMNS`, the
published contract of docs/kpis.md); no KPI logic does. The oracle computes every column but
the target, status and previous-period ones.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import duckdb
import pandas as pd

from nyckeltal.scorecard import COLUMNS as CONTRACT_COLUMNS

NOT_COMPUTED = ("target_value", "status", "previous_value", "previous_status")
COLUMNS = [column for column in CONTRACT_COLUMNS if column not in NOT_COMPUTED]
KEY = ["kpi_code", "period_start", "segment_type", "segment_value"]
EXACT = ["period_end", "period_grain", "unit", "is_complete_period", "is_suppressed"]
NUMBERS = ["numerator", "denominator", "value"]


def isnull(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _number(x: float | None) -> float | None:
    return None if isnull(x) else float(x)


def row(
    kpi: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    grain: str,
    seg_type: str,
    seg_value: str,
    numerator: float | None,
    denominator: float | None,
    value: float | None,
    unit: str,
    as_of: pd.Timestamp,
    suppressed: bool = False,
) -> dict:
    """One scorecard row; a period is complete once it ends on or before `as_of`."""
    return {
        "kpi_code": kpi,
        "period_start": pd.Timestamp(start).date(),
        "period_end": pd.Timestamp(end).date(),
        "period_grain": grain,
        "segment_type": seg_type,
        "segment_value": seg_value,
        "numerator": _number(numerator),
        "denominator": _number(denominator),
        "value": _number(value),
        "unit": unit,
        "is_complete_period": bool(pd.Timestamp(end) <= as_of),
        "is_suppressed": suppressed,
    }


def sorted_frame(rows: list[dict]) -> pd.DataFrame:
    """The rows as a frame in key order."""
    return pd.DataFrame(rows, columns=COLUMNS).sort_values(KEY).reset_index(drop=True)


def read_scorecard(con: duckdb.DuckDBPyConnection, kpi_codes: Iterable[str]) -> pd.DataFrame:
    """The oracle's columns of marts.kpi_scorecard for `kpi_codes`, in key order."""
    codes = ", ".join(f"'{code}'" for code in kpi_codes)
    scorecard = con.execute(
        f"select {', '.join(COLUMNS)} from marts.kpi_scorecard where kpi_code in ({codes})"
    ).fetchdf()
    for column in ("period_start", "period_end"):
        scorecard[column] = pd.to_datetime(scorecard[column]).dt.date
    return scorecard.sort_values(KEY).reset_index(drop=True)


def _close(a: object, b: object, rel: float) -> bool:
    if isnull(a) or isnull(b):
        return isnull(a) and isnull(b)
    a, b = float(a), float(b)
    return abs(a - b) <= rel * max(abs(a), abs(b)) or abs(a - b) <= 1e-9


def _exact(column: str, value: object) -> object:
    return bool(value) if column in {"is_complete_period", "is_suppressed"} else value


def compare(expected: pd.DataFrame, actual: pd.DataFrame, rel: float = 1e-6) -> list[str]:
    """Differences between the oracle (expected) and the scorecard (actual), as messages."""
    problems: list[str] = []
    exp = expected.set_index(KEY)
    act = actual.set_index(KEY)
    for name, rows in (("oracle", exp), ("scorecard", act)):
        problems += [
            f"duplicate key in {name}: {key}" for key in rows.index[rows.index.duplicated()]
        ]
    problems += [f"missing from scorecard: {key}" for key in exp.index.difference(act.index)]
    problems += [
        f"extra in scorecard: {key} {act.loc[key].to_dict()}"
        for key in act.index.difference(exp.index)
    ]
    for key in exp.index.intersection(act.index):
        e_row, a_row = exp.loc[key], act.loc[key]
        for column in EXACT:
            e_value, a_value = _exact(column, e_row[column]), _exact(column, a_row[column])
            if e_value != a_value and not (isnull(e_value) and isnull(a_value)):
                problems.append(f"{key} {column}: oracle={e_value!r} scorecard={a_value!r}")
        for column in NUMBERS:
            if not _close(e_row[column], a_row[column], rel):
                problems.append(
                    f"{key} {column}: oracle={e_row[column]!r} scorecard={a_row[column]!r}"
                )
    return problems
