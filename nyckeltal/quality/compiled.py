"""The compiled path: a suite's expectations evaluated in one query over its batch.

Great Expectations stays the declaration (the suites' JSON, read through the GX suite
objects), the result store and Data Docs; only the *execution* differs. GX's SQL execution
engine resolves every expectation's metrics separately (a count query, a null query, an
unexpected-rows query each), which costs ~10 ms of GX overhead per expectation; here every
expectation of a suite becomes a few `count(*) filter (where ...)` aggregates of ONE query
over the batch, and a second query (per failing expectation, with GX's own shape: the rows
`where <unexpected> limit 20`) fetches the example rows of the failures only.

Each expectation is compiled with GX's own semantics, as its SQL metric providers in GX 1.x
define them (`ExpectationPlan`): the row condition (GX's `comparison`, `nullity`, `and` and `or`
conditions) limits the rows; column-map expectations ignore nulls (counted as missing)
except `..._to_not_be_null` / `..._to_be_null`; column-pair and multicolumn expectations drop
the rows of `ignore_row_if` first; `strict_min` / `strict_max`; `regexp_matches` (a match
anywhere in the value, as `duckdb_sql_shim` maps GX's regex); uniqueness by the same
`group by ... having count(...) > 1` GX runs. Every value taken from a suite is a bound
parameter of the query, never formatted into its text.

An expectation type, keyword or row condition not listed here makes `compile_suite` return
None: the runner then runs the whole suite with GX's own execution. The SQL is DuckDB's (the
compiled path runs on the engines whose `gx_context_mode` is `file`, i.e. DuckDB);
`tests/quality/test_compiled.py` checks that both paths agree on every expectation of every
committed suite, passing and failing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nyckeltal.quality.assets import quote

# How many unexpected rows GX returns (project.RESULT_FORMAT's partial_unexpected_count).
PARTIAL_UNEXPECTED_COUNT = 20

COLUMN_MAP = "column_map"  # nulls ignored (counted as missing)
NULLITY = "nullity"  # ..._to_not_be_null / ..._to_be_null: every row counts, no missing count
PAIR = "column_pair"
MULTICOLUMN = "multicolumn"
TABLE = "table"  # answered from the batch's columns, no rows read

KINDS = {
    "expect_column_values_to_be_in_set": COLUMN_MAP,
    "expect_column_values_to_be_between": COLUMN_MAP,
    "expect_column_values_to_match_regex": COLUMN_MAP,
    "expect_column_values_to_be_unique": COLUMN_MAP,
    "expect_column_values_to_not_be_null": NULLITY,
    "expect_column_values_to_be_null": NULLITY,
    "expect_column_pair_values_a_to_be_greater_than_b": PAIR,
    "expect_compound_columns_to_be_unique": MULTICOLUMN,
    "expect_column_to_exist": TABLE,
    "expect_table_columns_to_match_set": TABLE,
}
# The keywords each kind understands (anything else: not compiled, GX runs the suite).
_COMMON = {"batch_id", "row_condition", "condition_parser", "mostly", "result_format"}
_KEYWORDS = {
    "expect_column_values_to_be_in_set": {"column", "value_set"},
    "expect_column_values_to_be_between": {
        "column",
        "min_value",
        "max_value",
        "strict_min",
        "strict_max",
    },
    "expect_column_values_to_match_regex": {"column", "regex"},
    "expect_column_values_to_be_unique": {"column"},
    "expect_column_values_to_not_be_null": {"column"},
    "expect_column_values_to_be_null": {"column"},
    "expect_column_pair_values_a_to_be_greater_than_b": {
        "column_A",
        "column_B",
        "or_equal",
        "ignore_row_if",
    },
    "expect_compound_columns_to_be_unique": {"column_list", "ignore_row_if"},
    "expect_column_to_exist": {"column"},
    "expect_table_columns_to_match_set": {"column_set", "exact_match"},
}
_OPERATORS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
# Column types GX refuses to compare with between (its `_raise_if_invalid_column_type`).
_UNORDERED_TYPES = ("VARCHAR", "BOOLEAN", "TEXT", "STRING")


class NotCompiled(Exception):
    """An expectation the compiled path does not evaluate (GX's own execution will)."""


class Parameters:
    """The bound parameters of one query: every suite value is `$pN`, never SQL text."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def __call__(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"

    def used_by(self, sql: str) -> dict[str, Any]:
        """The values a query names (DuckDB refuses unused named parameters)."""
        named = set(re.findall(r"\$(p\d+)\b", sql))
        return {name: value for name, value in self.values.items() if name in named}


@dataclass(frozen=True)
class ExpectationPlan:
    """One expectation as SQL predicates over the batch's rows (`batch`)."""

    position: int  # in the suite
    type: str
    kwargs: Mapping[str, Any]
    kind: str
    columns: tuple[str, ...] = ()  # the domain columns (shown last in GX's example rows)
    counted: str = "true"  # the rows of element_count (the row condition)
    considered: str | None = None  # of those, the rows checked (None: no missing count)
    unexpected: str = "false"  # of those, the failing rows
    ctes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def examples_where(self) -> str:
        checked = self.considered or self.counted
        return f"({self.counted}) and ({checked}) and ({self.unexpected})"


def _column(name: Any, columns: Sequence[str]) -> str:
    if not isinstance(name, str) or name not in columns:
        raise NotCompiled(f"column {name!r} is not in the batch")
    return quote(name)


def row_condition_sql(condition: Any, columns: Sequence[str], bind: Parameters) -> str:
    """GX's row condition (a dict, as GX serialises `great_expectations.expectations.
    row_conditions`) as a SQL predicate, as GX's SQL execution engine filters with it."""
    if condition in (None, "", {}):
        return "true"
    if not isinstance(condition, Mapping):
        raise NotCompiled("string row conditions run in GX")
    kind = condition.get("type")
    if kind in ("and", "or"):
        parts = [row_condition_sql(part, columns, bind) for part in condition["conditions"]]
        return "(" + f" {kind} ".join(f"({part})" for part in parts) + ")"
    column = _column((condition.get("column") or {}).get("name"), columns)
    if kind == "nullity":
        return f"{column} is {'' if condition['is_null'] else 'not '}null"
    if kind != "comparison":
        raise NotCompiled(f"row condition {kind!r}")
    operator, parameter = condition["operator"], condition["parameter"]
    if operator in ("IN", "NOT_IN", "NOT IN"):
        values = ", ".join(bind(value) for value in parameter)
        return f"{column} {'in' if operator == 'IN' else 'not in'} ({values})"
    if operator not in _OPERATORS:
        raise NotCompiled(f"row condition operator {operator!r}")
    return f"{column} {_OPERATORS[operator]} {bind(parameter)}"


def _between(column: str, kwargs: Mapping[str, Any], bind: Parameters) -> str:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is None and high is None:
        raise NotCompiled("between without bounds (GX raises)")
    try:
        inverted = low is not None and high is not None and low > high
    except TypeError:
        inverted = True
    if inverted:
        raise NotCompiled("min_value above max_value (GX raises)")
    parts = []
    if low is not None:
        parts.append(f"{column} {'>' if kwargs.get('strict_min') else '>='} {bind(low)}")
    if high is not None:
        parts.append(f"{column} {'<' if kwargs.get('strict_max') else '<='} {bind(high)}")
    return " and ".join(parts)


def _column_map(
    position: int,
    type_: str,
    kwargs: Mapping[str, Any],
    counted: str,
    bind: Parameters,
    columns: Sequence[str],
    types: Mapping[str, str],
) -> ExpectationPlan:
    name = kwargs.get("column")
    column = _column(name, columns)
    ctes: tuple[str, ...] = ()
    if type_ == "expect_column_values_to_be_in_set":
        values = kwargs.get("value_set")
        if not values:
            raise NotCompiled("an empty or missing value_set")
        expected = f"{column} in ({', '.join(bind(value) for value in values)})"
    elif type_ == "expect_column_values_to_be_between":
        if str(types.get(name, "")).upper().startswith(_UNORDERED_TYPES):
            raise NotCompiled("between on a string or boolean column (GX raises)")
        expected = _between(column, kwargs, bind)
    elif type_ == "expect_column_values_to_match_regex":
        expected = f"regexp_matches({column}, {bind(kwargs['regex'])})"
    else:  # unique: GX's `not in (values occurring more than once)`
        duplicates = f"duplicates_{position}"
        ctes = (
            f"{duplicates} as (select {column} as duplicate_value from batch "
            f"where {counted} group by {column} having count({column}) > 1)",
        )
        expected = f"{column} not in (select duplicate_value from {duplicates})"
    return ExpectationPlan(
        position, type_, kwargs, COLUMN_MAP, (name,), counted,
        considered=f"{column} is not null", unexpected=f"not ({expected})", ctes=ctes,
    )  # fmt: skip


def _pair(
    position: int, type_: str, kwargs: Mapping[str, Any], counted: str, columns: Sequence[str]
) -> ExpectationPlan:
    a, b = _column(kwargs.get("column_A"), columns), _column(kwargs.get("column_B"), columns)
    ignore = kwargs.get("ignore_row_if", "both_values_are_missing")
    considered = {
        "both_values_are_missing": f"not ({a} is null and {b} is null)",
        "either_value_is_missing": f"{a} is not null and {b} is not null",
        "neither": "true",
    }.get(ignore)
    if considered is None:
        raise NotCompiled(f"ignore_row_if {ignore!r}")
    expected = f"{a} > {b}"
    if kwargs.get("or_equal"):
        expected = f"{a} >= {b} or ({a} is null and {b} is null)"
    names = (kwargs["column_A"], kwargs["column_B"])
    return ExpectationPlan(
        position, type_, kwargs, PAIR, names, counted, considered, f"not ({expected})"
    )


def _compound(
    position: int, type_: str, kwargs: Mapping[str, Any], counted: str, columns: Sequence[str]
) -> ExpectationPlan:
    names = kwargs.get("column_list") or []
    quoted = [_column(name, columns) for name in names]
    if not quoted:
        raise NotCompiled("an empty column_list")
    ignore = kwargs.get("ignore_row_if", "all_values_are_missing")
    if ignore == "all_values_are_missing":
        considered = "not (" + " and ".join(f"{c} is null" for c in quoted) + ")"
    elif ignore == "any_value_is_missing":
        considered = " and ".join(f"{c} is not null" for c in quoted)
    elif ignore == "never":
        considered = "true"
    else:
        raise NotCompiled(f"ignore_row_if {ignore!r}")
    # GX joins every row to its group's count on equal values: a row with a null in the list
    # joins no group and is never unexpected.
    groups = f"groups_{position}"
    keys = ", ".join(quoted)
    ctes = (
        f"{groups} as (select {keys} from batch where ({counted}) and ({considered}) "
        f"group by {keys} having count(*) > 1)",
    )
    duplicate = f"({keys}) in (select ({keys}) from {groups})"
    not_null = " and ".join(f"{c} is not null" for c in quoted)
    return ExpectationPlan(
        position, type_, kwargs, MULTICOLUMN, tuple(names), counted, considered,
        unexpected=f"{not_null} and {duplicate}", ctes=ctes,
    )  # fmt: skip


def plan(
    position: int,
    type_: str,
    kwargs: Mapping[str, Any],
    columns: Sequence[str],
    types: Mapping[str, str],
    bind: Parameters,
) -> ExpectationPlan:
    """One expectation (kwargs with the suite parameters substituted) as SQL; raises
    NotCompiled for what GX must run itself."""
    kind = KINDS.get(type_)
    if kind is None:
        raise NotCompiled(f"expectation type {type_}")
    unknown = set(kwargs) - _KEYWORDS[type_] - _COMMON
    if unknown or kwargs.get("mostly", 1) != 1:
        raise NotCompiled(f"keywords {sorted(unknown)} / mostly of {type_}")
    if kind == TABLE:
        return ExpectationPlan(position, type_, kwargs, TABLE)
    if kwargs.get("condition_parser") not in (None, "great_expectations"):
        raise NotCompiled("a row condition parser")
    counted = row_condition_sql(kwargs.get("row_condition"), columns, bind)
    if kind == NULLITY:
        column = _column(kwargs.get("column"), columns)
        null = type_ == "expect_column_values_to_be_null"
        unexpected = f"{column} is {'not ' if null else ''}null"
        return ExpectationPlan(
            position, type_, kwargs, NULLITY, (kwargs["column"],), counted, None, unexpected
        )
    if kind == PAIR:
        return _pair(position, type_, kwargs, counted, columns)
    if kind == MULTICOLUMN:
        return _compound(position, type_, kwargs, counted, columns)
    return _column_map(position, type_, kwargs, counted, bind, columns, types)


def counts_query(source: str, plans: Sequence[ExpectationPlan]) -> str:
    """ONE query over the batch `source` (a relation or a query's SQL in parentheses):
    per row-reading expectation, its counted, considered and unexpected rows."""
    ctes = [f"batch as (select * from {source})"]
    aggregates = []
    for item in plans:
        if item.kind == TABLE:
            continue
        ctes += item.ctes
        checked = item.considered or "true"
        aggregates += [
            f"count(*) filter (where {item.counted}) as counted_{item.position}",
            f"count(*) filter (where ({item.counted}) and ({checked})) "
            f"as considered_{item.position}",
            f"count(*) filter (where {item.examples_where}) as unexpected_{item.position}",
        ]
    if not aggregates:
        aggregates = ["count(*) as counted"]
    return f"with {', '.join(ctes)} select {', '.join(aggregates)} from batch"


def examples_query(source: str, item: ExpectationPlan, columns: Sequence[str]) -> str:
    """GX's unexpected-rows query: the batch's columns, then the domain columns, of the
    failing rows, `limit PARTIAL_UNEXPECTED_COUNT` (no order: the scan's, as GX's)."""
    selected = ", ".join([quote(c) for c in columns] + [quote(c) for c in item.columns])
    ctes = ", ".join([f"batch as (select * from {source})", *item.ctes])
    return (
        f"with {ctes} select {selected} from batch where {item.examples_where} "
        f"limit {PARTIAL_UNEXPECTED_COUNT}"
    )
