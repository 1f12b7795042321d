"""The suites of the raw sources, derived from the contract (`nyckeltal.contract`).

Each contract table gets three suites, named after the table (`raw_<system>__<table>`; GX
stores a dotted name as nested folders, hence the double underscores):

- `raw_<system>__<table>`: its rows (not null, enumerations, ranges, currency codes, no
  timestamps after the moment of the run, every date and timestamp from 1970-01-01 to the
  horizon of `nyckeltal.horizon`), checked by GX as SQL on the whole table;
- `raw_<system>__<table>__schema`: the physical type of every contract column;
- `raw_<system>__<table>__integrity`: the checks that need more than one row or table (primary
  key unique, foreign keys across systems, an exchange rate for every money row): a query
  computes one boolean per check and keeps only the offending rows, which GX checks.

and one suite for the whole load: `raw__row_counts` (a sudden drop against the previous load).
Nothing of the contract is restated here: columns, types, nullability, enumerations, bounds,
keys and currencies all come from `contract.TABLES`; this module only adds policy (which
checks only warn, which dates must not lie in the future).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from nyckeltal.contract import TABLES, Column, ForeignKey, Table
from nyckeltal.horizon import DateWindow
from nyckeltal.quality.severity import ERROR, WARN
from nyckeltal.quality.spec import INTEGRITY, ROW_COUNTS, ROWS, SCHEMA, Check, SuiteSpec

ROW_COUNTS_SUITE = "raw__row_counts"

# Dates that, like every timestamp, feed the as-of date of the KPIs
# (docs/kpis.md#which-periods-and-rows-are-published): a value after the moment of the run
# would publish periods that have not happened. Planning dates (hired_on, a campaign's
# ended_on, market research periods) may be ahead.
EVENT_DATES = (
    "marketing.ad_spend.spend_date",
    "marketing.expenses.booked_on",
    "hr.engagement_responses.survey_date",
    "hr.payroll.pay_month",
)

# Foreign keys whose orphans only warn: no KPI joins on them.
WARN_FOREIGN_KEYS = {
    ("marketing.web_events", "campaign_id"): "web events are not attributed through "
    "campaign_id (the funnel uses the event's channel); an unknown tracking parameter is "
    "worth a look but must not stop the KPIs",
}

INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER")
TIMESTAMP_TYPES = ("TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS")
CURRENCY_PATTERN = "^[A-Z]{3}$"
RUN_STARTED_AT = {"$PARAMETER": "run_started_at"}
MAX_ROW_DROP = {"$PARAMETER": "max_row_drop"}
EARLIEST_DATE = {"$PARAMETER": "earliest_date"}
LATEST_DATE = {"$PARAMETER": "latest_date"}


def run_parameters(
    run_started_at: dt.datetime, max_row_drop: float, dates: DateWindow
) -> dict[str, Any]:
    """The values of the suites' parameters for a run that started at `run_started_at`
    (naive UTC): the moment itself, the allowed row drop and the span of dates (its last day
    included whole)."""
    return {
        "run_started_at": run_started_at,
        "max_row_drop": max_row_drop,
        "earliest_date": dt.datetime.combine(dates.earliest, dt.time.min),
        "latest_date": dt.datetime.combine(dates.latest, dt.time.max),
    }


def _table_suite(
    table: Table,
    name: Callable[[Table], str],
    kind: str,
    description: str,
    checks: list[Check],
    meta: dict[str, Any] | None = None,
) -> SuiteSpec:
    """A suite of one raw table; `{relation}` in `description` names the table."""
    return SuiteSpec(
        name=name(table),
        kind=kind,
        description=description.format(relation=f"{table.schema}.{table.name}"),
        checks=tuple(checks),
        table=table.key,
        meta=meta or {},
    )


def rows_suite_name(table: Table) -> str:
    return f"{table.schema}__{table.name}"


def schema_suite_name(table: Table) -> str:
    return f"{table.schema}__{table.name}__schema"


def integrity_suite_name(table: Table) -> str:
    return f"{table.schema}__{table.name}__integrity"


def accepted_types(column: Column) -> tuple[str, ...]:
    """DuckDB `information_schema` spellings compatible with the contract type."""
    declared = column.type.lower()
    if declared in ("integer", "bigint"):
        return INTEGER_TYPES
    if declared == "timestamp":
        return TIMESTAMP_TYPES
    match = re.fullmatch(r"decimal\((\d+),\s*(\d+)\)", declared)
    if match:
        precision, scale = match.groups()
        wider = f"DECIMAL(38,{scale})"
        exact = f"DECIMAL({precision},{scale})"
        return (exact,) if exact == wider else (exact, wider)
    return (declared.upper(),)


def must_not_be_in_future(table: Table, column: Column) -> bool:
    return column.type == "timestamp" or f"{table.key}.{column.name}" in EVENT_DATES


def is_currency_column(table: Table, column: Column) -> bool:
    return column.name == table.currency_column or column.name == "currency"


def foreign_key_flag(foreign_key: ForeignKey) -> str:
    """Column of the integrity frame: true when the key is null or has a parent row."""
    return f"{foreign_key.column}_in_{foreign_key.references.replace('.', '_')}"


def _bounds(column: Column) -> str:
    low = "" if column.min_value is None else f"{column.min_value:g}"
    high = "" if column.max_value is None else f"{column.max_value:g}"
    if low and high:
        return f"{low} {'<' if column.strict_min else '<='} {column.name} <= {high}"
    if low:
        return f"{column.name} {'>' if column.strict_min else '>='} {low}"
    return f"{column.name} <= {high}"


def rows_suite(table: Table) -> SuiteSpec:
    checks: list[Check] = []
    for column in table.columns:
        name = column.name
        if not column.nullable:
            checks.append(
                Check(
                    "expect_column_values_to_not_be_null",
                    {"column": name},
                    reason=f"{table.key}.{name} is required by the contract",
                )
            )
        if column.accepted_values:
            checks.append(
                Check(
                    "expect_column_values_to_be_in_set",
                    {"column": name, "value_set": list(column.accepted_values)},
                    reason=f"{table.key}.{name} is one of the contract's values",
                )
            )
        if column.min_value is not None or column.max_value is not None:
            kwargs: dict[str, object] = {"column": name}
            if column.min_value is not None:
                kwargs["min_value"] = column.min_value
            if column.max_value is not None:
                kwargs["max_value"] = column.max_value
            if column.strict_min:
                kwargs["strict_min"] = True
            checks.append(
                Check(
                    "expect_column_values_to_be_between",
                    kwargs,
                    reason=f"contract range: {_bounds(column)}",
                )
            )
        if is_currency_column(table, column):
            checks.append(
                Check(
                    "expect_column_values_to_match_regex",
                    {"column": name, "regex": CURRENCY_PATTERN},
                    reason="an ISO 4217 currency code: three capital letters",
                )
            )
        if column.type in ("date", "timestamp"):
            checks.append(
                Check(
                    "expect_column_values_to_be_between",
                    {"column": name, "min_value": EARLIEST_DATE, "max_value": LATEST_DATE},
                    reason=f"{name} lies before 1970-01-01 or more than "
                    "NYCKELTAL_DATE_HORIZON_YEARS (default 10) years after the run: a "
                    "placeholder such as 9999-12-31, not data",
                )
            )
        if must_not_be_in_future(table, column):
            checks.append(
                Check(
                    "expect_column_values_to_be_between",
                    {"column": name, "max_value": RUN_STARTED_AT},
                    reason=f"{name} lies after the moment of the run (UTC): it would move the "
                    "as-of date into the future; replays with an earlier --as-of are fine",
                )
            )
    return _table_suite(
        table,
        rows_suite_name,
        ROWS,
        "Rows of {relation} against the raw data contract (the whole table, as SQL in DuckDB).",
        checks,
    )


def schema_suite(table: Table) -> SuiteSpec:
    checks: list[Check] = []
    for column in table.columns:
        checks.append(
            Check(
                "expect_column_to_exist",
                {"column": column.name},
                reason=f"{table.key} needs the contract column {column.name}",
            )
        )
        checks.append(
            Check(
                "expect_column_values_to_be_in_set",
                {"column": column.name, "value_set": list(accepted_types(column))},
                reason=f"{column.name} is {column.type} in the contract",
            )
        )
    return _table_suite(
        table,
        schema_suite_name,
        SCHEMA,
        "Physical types of {relation}: one row, one column per table column holding its "
        "DuckDB type. Extra columns are allowed and ignored.",
        checks,
    )


def integrity_suite(table: Table) -> SuiteSpec:
    key = ", ".join(table.primary_key)
    checks = [
        Check(
            "expect_column_values_to_be_in_set",
            {"column": "has_unique_key", "value_set": [True]},
            reason=f"primary key ({key}) is unique",
        )
    ]
    for foreign_key in table.foreign_keys:
        reason = WARN_FOREIGN_KEYS.get((table.key, foreign_key.column))
        checks.append(
            Check(
                "expect_column_values_to_be_in_set",
                {"column": foreign_key_flag(foreign_key), "value_set": [True]},
                severity=WARN if reason else ERROR,
                reason=f"{foreign_key.column} refers to an existing "
                f"{foreign_key.references}.{foreign_key.referenced_column}"
                + (f" ({reason})" if reason else ""),
            )
        )
    if table.currency_column:
        when = (
            f"dated on or before its {table.conversion_date_column}"
            if table.conversion_date_column
            else "of any date"
        )
        checks.append(
            Check(
                "expect_column_values_to_be_in_set",
                {"column": "has_fx_rate", "value_set": [True]},
                reason=f"every money row needs a billing.fx_rates rate of its currency {when} "
                "(the reporting currency converts at 1.0)",
            )
        )
    return _table_suite(
        table,
        integrity_suite_name,
        INTEGRITY,
        "Keys, references and exchange rates of {relation}. A query asset evaluates every row "
        "and keeps only the offending ones (one boolean column per check); GX validates those "
        "in DuckDB.",
        checks,
        meta={"key_columns": list(table.primary_key)},
    )


def row_counts_suite() -> SuiteSpec:
    return SuiteSpec(
        name=ROW_COUNTS_SUITE,
        kind=ROW_COUNTS,
        description="Row count of every raw table against the previous successful "
        "validation (nyckeltal_meta.row_counts): a drop of more than NYCKELTAL_MAX_ROW_DROP "
        "(a share, default 0.5) is flagged.",
        checks=(
            Check(
                "expect_column_values_to_be_between",
                {"column": "drop_share", "max_value": MAX_ROW_DROP},
                severity=WARN,
                reason="a table lost more than the allowed share of its rows since the "
                "previous load (a partial extract?)",
            ),
        ),
    )


def source_suites() -> list[SuiteSpec]:
    """Every source suite, in contract order, then the row counts."""
    suites: list[SuiteSpec] = []
    for table in TABLES:
        suites += [schema_suite(table), rows_suite(table), integrity_suite(table)]
    suites.append(row_counts_suite())
    return suites
