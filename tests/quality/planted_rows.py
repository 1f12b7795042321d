"""Bad rows planted into a copy of a built warehouse, derived from the suites themselves.

For every expectation of every suite that reads a table (raw rows, wide marts, the
scorecard), one row (a different one per expectation, among the rows its row condition
selects) is changed so that the expectation fails: a null where none is allowed, a value
outside the set or the range (the bound itself where it is strict), a duplicated key, a
pair in the wrong order, a string that does not match. A few schema changes (a column
dropped, a type changed) and an inflated previous row count break the facts about tables.
tests/quality/test_compiled.py validates the result on both execution paths.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from nyckeltal.quality.assets import ROW_COUNTS_RELATION, quote, table_columns, validated_relation
from nyckeltal.quality.compiled import NotCompiled, Parameters, row_condition_sql
from nyckeltal.quality.row_counts import ensure_row_counts_table
from nyckeltal.quality.spec import MART, ROWS, SCORECARD, Check, SuiteSpec

# Changes of the facts about tables (schema and row-count suites, a wide mart's columns).
SCHEMA_CHANGES = (
    "alter table raw_billing.invoices alter amount type double",
    "alter table raw_marketing.expenses drop column category",
    "alter table marts.nps_monthly drop column responses",
)
TEXT = ("VARCHAR",)
TEMPORAL = ("DATE", "TIMESTAMP")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _between(column: str, data_type: str, kwargs: dict[str, Any]) -> str | None:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if data_type.startswith(TEMPORAL):
        return "'1900-01-02'" if low is not None else "'2999-01-01'"
    if _number(low):
        return str(low) if kwargs.get("strict_min") else f"{low} - 1"
    if _number(high):
        return str(high) if kwargs.get("strict_max") else f"{high} + 1"
    return None


def _change(check: Check, relation: str, types: dict[str, str]) -> str | None:
    """`set ...` (or a whole statement, `insert ...`) that makes `check` fail on one row."""
    kwargs = check.kwargs
    column = kwargs.get("column")
    data_type = str(types.get(column or "", ""))
    name = quote(column) if column else ""
    if check.type == "expect_column_values_to_not_be_null":
        return f"set {name} = null"
    if check.type == "expect_column_values_to_be_null":
        return f"set {name} = (select max({name}) from {relation})"
    if check.type == "expect_column_values_to_be_in_set":
        if data_type.startswith(TEXT):
            return f"set {name} = 'planted'"
        return f"set {name} = 987654" if data_type.endswith("INT") else None
    if check.type == "expect_column_values_to_match_regex":
        return f"set {name} = 'planted'"
    if check.type == "expect_column_values_to_be_between":
        value = _between(column or "", data_type, kwargs)
        return f"set {name} = {value}" if value else None
    if check.type == "expect_column_values_to_be_unique":
        return f"set {name} = (select min({name}) from {relation})"
    if check.type == "expect_compound_columns_to_be_unique":
        return f"insert into {relation} select * from {relation}"
    if check.type == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = quote(kwargs["column_A"]), quote(kwargs["column_B"])
        if not kwargs.get("or_equal"):
            return f"set {a} = {b}"
        step = "interval 1 day" if str(types[kwargs["column_B"]]).startswith(TEMPORAL) else "1"
        return f"set {a} = {b} - {step}"
    return None


def _plant_suite(connection: duckdb.DuckDBPyConnection, suite: SuiteSpec) -> None:
    relation = validated_relation(suite)
    types = table_columns(connection, *relation.split("."))
    for offset, check in enumerate(suite.checks):
        change = _change(check, relation, types)
        if change is None:
            continue
        bind = Parameters()
        try:
            condition = row_condition_sql(check.kwargs.get("row_condition"), list(types), bind)
        except NotCompiled:  # a condition on a computed column: any row
            condition = "true"
        row = (
            f"rowid = (select rowid from {relation} where {condition} "
            f"order by rowid limit 1 offset {offset % 7 + 1})"
        )
        if change.startswith("insert"):
            statement = f"{change} where {row}"
        else:
            statement = f"update {relation} {change} where {row}"
        try:
            connection.execute(statement, bind.values or None)
        except duckdb.Error:  # a change the column's type refuses: another check covers it
            continue


def plant(warehouse: Path, suites: list[SuiteSpec]) -> None:
    """Break `warehouse` (a private copy) so that every kind of expectation fails."""
    ensure_row_counts_table(warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        readers = [suite for suite in suites if suite.kind in (ROWS, MART, SCORECARD)]
        for relation in sorted({validated_relation(suite) for suite in readers}):
            schema, name = relation.split(".")
            if not table_columns(connection, schema, name):
                continue
            # Without NOT NULL / PRIMARY KEY, as an extract-load tool may write it.
            connection.execute(f"create table {relation}_copy as select * from {relation}")
            connection.execute(f"drop table {relation} cascade")
            connection.execute(f"alter table {relation}_copy rename to {name}")
        for suite in readers:
            _plant_suite(connection, suite)
        connection.execute(
            f"insert into {ROW_COUNTS_RELATION} values ('crm.customers', 1000000, now())"
        )
        for statement in SCHEMA_CHANGES:
            connection.execute(statement)
