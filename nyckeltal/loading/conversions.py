"""How a column read from a file converts to its contract type, as DuckDB SQL."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nyckeltal.contract import Column

INTEGER_TYPES = frozenset(
    ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT")
    + ("UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT")
)
TIMESTAMP_TYPES = frozenset(
    ("TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMP WITH TIME ZONE")
)


@dataclass(frozen=True)
class Conversion:
    """SQL converting a staged column to its contract type (`{c}` is the column reference)."""

    template: str
    # What a valid value looks like, for the report; empty when the conversion cannot fail.
    expected: str = ""
    # SQL true when the value is a number (so that a failed conversion means out of range),
    # and the range of the contract type; empty for conversions that are not numeric.
    is_number: str = ""
    value_range: str = ""

    def sql(self, reference: str) -> str:
        return self.template.replace("{c}", reference)

    def number_sql(self, reference: str) -> str:
        return self.is_number.replace("{c}", reference)


IDENTITY = Conversion("{c}")


def _source_kind(source_type: str) -> str:
    if source_type in INTEGER_TYPES:
        return "integer"
    if source_type.startswith("DECIMAL"):
        return "decimal"
    if source_type in ("FLOAT", "DOUBLE"):
        return "float"
    if source_type in ("VARCHAR", "DATE"):
        return source_type.lower()
    return "timestamp" if source_type in TIMESTAMP_TYPES else "other"


def text_conversion(column: Column) -> Conversion:
    """How to parse a CSV value (text) as the column's contract type.

    Strict: whole numbers for integers, `YYYY-MM-DD` for dates, and timestamps through
    `timestamptz`, so that a `Z` or `+02:00` suffix is converted to UTC (the validation
    session runs in UTC; a plain cast to `timestamp` would drop the offset).
    """
    target = column.type
    if target == "varchar":
        return IDENTITY
    if target in ("integer", "bigint"):
        return Conversion(
            f"case when {WHOLE_NUMBER} then try_cast(trim({{c}}) as {target}) end",
            f"a whole number ({target})",
            WHOLE_NUMBER,
            value_range(target),
        )
    if target.startswith("decimal"):
        return Conversion(
            f"try_cast(trim({{c}}) as {target})",
            f"a number ({target})",
            # 1e308, 1e309 and inf parse as a double (the last two as infinity); nan does not count
            "coalesce(not isnan(try_cast(trim({c}) as double)), false)",
            value_range(target),
        )
    if target == "date":
        return Conversion(
            "case when regexp_full_match(trim({c}), '[0-9]{4}-[0-9]{2}-[0-9]{2}') "
            "then try_cast(trim({c}) as date) end",
            "a date (YYYY-MM-DD)",
        )
    if target == "timestamp":
        return Conversion(
            f"coalesce(case when {PLAIN_TIMESTAMP} then try_cast({{c}} as timestamp) end, "
            "cast(try_cast(trim({c}) as timestamptz) as timestamp))",
            "a timestamp (YYYY-MM-DD HH:MM:SS or ISO 8601)",
        )
    raise ValueError(f"the contract type {target!r} of {column.name} is not supported")


WHOLE_NUMBER = "regexp_full_match(trim({c}), '[+-]?[0-9]+')"
INTEGER_RANGES = {"integer": 31, "bigint": 63}


def value_range(target: str) -> str:
    """`from -2147483648 to 2147483647`: the values the contract type `target` holds."""
    if target in INTEGER_RANGES:
        bits = INTEGER_RANGES[target]
        return f"from {-(2**bits)} to {2**bits - 1}"
    match = re.fullmatch(r"decimal\((\d+),\s*(\d+)\)", target)
    if not match:
        return ""
    precision, scale = int(match[1]), int(match[2])
    largest = "9" * (precision - scale) + ("." + "9" * scale if scale else "")
    return f"from -{largest} to {largest}"


# `YYYY-MM-DD HH:MM:SS` exactly: no room for a time zone offset, so the plain (four times
# faster) cast to timestamp gives what the cast through timestamptz in UTC gives.
PLAIN_TIMESTAMP = (
    "length({c}) = 19 and {c}[5] = '-' and {c}[8] = '-' and {c}[11] = ' ' "
    "and {c}[14] = ':' and {c}[17] = ':'"
)


def typed_conversion(column: Column, source_type: str) -> Conversion | None:
    """How to convert a Parquet column of `source_type` to the contract type, None if it can't.

    Types convert when nothing is lost or reinterpreted: integers to integers and decimals,
    floats and decimals to decimals, timestamps (with a time zone: to UTC) to timestamps,
    timestamps at midnight to dates. Text never converts to a number, date or timestamp.
    """
    kind, target = _source_kind(source_type), column.type
    if target == "varchar":
        return IDENTITY if kind == "varchar" else None
    if target in ("integer", "bigint"):
        if kind == "integer":
            return Conversion(
                f"try_cast({{c}} as {target})",
                f"a whole number ({target})",
                "true",
                value_range(target),
            )
        return None
    if target.startswith("decimal"):
        if kind in ("integer", "decimal", "float"):
            number = "not isnan({c})" if kind == "float" else "true"
            return Conversion(
                f"try_cast({{c}} as {target})", f"a number ({target})", number, value_range(target)
            )
        return None
    if target == "date":
        if kind == "timestamp":
            return Conversion(
                "case when cast({c} as timestamp) = cast(cast({c} as timestamp) as date) "
                "then cast(cast({c} as timestamp) as date) end",
                "a date (a timestamp must be at midnight UTC)",
            )
        return IDENTITY if kind == "date" else None
    if target == "timestamp":
        return Conversion("cast({c} as timestamp)") if kind in ("timestamp", "date") else None
    raise ValueError(f"the contract type {target!r} of {column.name} is not supported")
