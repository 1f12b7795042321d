"""The DataFrames each suite validates, fetched from DuckDB over a read-only connection.

GX's SQL data source over duckdb-engine returns empty metric results (GX issues #10738,
#11579), so GX only ever sees pandas DataFrames. Memory stays bounded: the largest tables are
read by calendar month (consecutive small months packed into one batch of at most
NYCKELTAL_DQ_BATCH_ROWS rows, a month above it split into days), and checks across rows or
tables (keys, references, exchange rates, reconciliation) run inside DuckDB,
which hands over only the offending rows, streamed in chunks of `CHUNK_ROWS`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from nyckeltal.contract import TABLES_BY_KEY, Table
from nyckeltal.quality import source_suites
from nyckeltal.quality.mart_suites import RECONCILED
from nyckeltal.quality.spec import (
    INTEGRITY,
    MART,
    RECONCILIATION,
    ROW_COUNTS,
    ROWS,
    SCHEMA,
    SCORECARD,
    SuiteSpec,
)
from nyckeltal.scorecard import COLUMNS, SCORECARD_RELATION

CHUNK_ROWS = 100_000
DEFAULT_BATCH_ROWS = 200_000
META_SCHEMA = "nyckeltal_meta"
ROW_COUNTS_RELATION = f"{META_SCHEMA}.row_counts"


@dataclass(frozen=True)
class Batch:
    """One DataFrame of a suite, with a label for progress and Data Docs (`2024-03`)."""

    label: str
    frame: pd.DataFrame


@dataclass(frozen=True)
class FetchSettings:
    reporting_currency: str
    tables: tuple[str, ...]  # contract keys in scope (row counts)


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def relation(table: Table) -> str:
    return f"{table.schema}.{table.name}"


def table_columns(connection: duckdb.DuckDBPyConnection, schema: str, name: str) -> dict[str, str]:
    """Column name -> DuckDB type of a table (empty when the table does not exist)."""
    rows = connection.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, name],
    ).fetchall()
    return dict(rows)


def table_exists(connection: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(table_columns(connection, schema, name))


def _stream(
    connection: duckdb.DuckDBPyConnection, query: str, parameters: Sequence[object] = ()
) -> Iterator[pd.DataFrame]:
    """The result of `query` in DataFrames of at most CHUNK_ROWS rows (at least one)."""
    reader = connection.execute(query, list(parameters)).to_arrow_reader(CHUNK_ROWS)
    schema = reader.schema
    emitted = False
    for record_batch in reader:
        if record_batch.num_rows:
            emitted = True
            yield record_batch.to_pandas()
    if not emitted:
        yield schema.empty_table().to_pandas()


def schema_batches(connection: duckdb.DuckDBPyConnection, table: Table) -> Iterator[Batch]:
    types = table_columns(connection, table.schema, table.name)
    frame = pd.DataFrame([types]) if types else pd.DataFrame()
    yield Batch("types", frame)


def batch_rows() -> int:
    """Row budget of a batch of the largest tables (NYCKELTAL_DQ_BATCH_ROWS, default 200,000).

    0 or less: strictly one batch per calendar month.
    """
    text = os.environ.get("NYCKELTAL_DQ_BATCH_ROWS", "")
    try:
        return int(text) if text else DEFAULT_BATCH_ROWS
    except ValueError:
        raise ValueError(f"NYCKELTAL_DQ_BATCH_ROWS must be a whole number, not {text!r}") from None


@dataclass(frozen=True)
class _Span:
    start: dt.date
    end: dt.date  # exclusive
    rows: int
    label: str


def _pack(spans: Sequence[_Span], budget: int) -> list[list[_Span]]:
    """Consecutive spans grouped while a group holds at most `budget` rows."""
    groups: list[list[_Span]] = []
    total = 0
    for span in spans:
        if groups and total + span.rows <= budget:
            groups[-1].append(span)
            total += span.rows
        else:
            groups.append([span])
            total = span.rows
    return groups


def _spans(
    connection: duckdb.DuckDBPyConnection,
    table: Table,
    column: str,
    unit: str,
    where: str = "",
    parameters: Sequence[object] = (),
) -> list[_Span]:
    rows = connection.execute(
        f"select cast(date_trunc('{unit}', {column}) as date) as span_start, count(*) "
        f"from {relation(table)} where {column} is not null {where} group by 1 order by 1",
        list(parameters),
    ).fetchall()
    spans = []
    for start, count in rows:
        if unit == "month":
            end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            label = start.strftime("%Y-%m")
        else:
            end = start + dt.timedelta(days=1)
            label = start.isoformat()
        spans.append(_Span(start, end, int(count), label))
    return spans


def time_spans(
    connection: duckdb.DuckDBPyConnection, table: Table, column: str, budget: int
) -> list[list[_Span]]:
    """The batches of a large table: calendar months (packed up to `budget` rows; a month
    above the budget is split into days). A budget of 0 or less: one batch per month."""
    months = _spans(connection, table, column, "month")
    if budget <= 0:
        return [[month] for month in months]
    groups: list[list[_Span]] = []
    for group in _pack(months, budget):
        if len(group) == 1 and group[0].rows > budget:
            month = group[0]
            days = _spans(
                connection,
                table,
                column,
                "day",
                f"and {column} >= ? and {column} < ?",
                [month.start, month.end],
            )
            groups += _pack(days, budget)
        else:
            groups.append(group)
    return groups


def rows_batches(connection: duckdb.DuckDBPyConnection, table: Table) -> Iterator[Batch]:
    actual = table_columns(connection, table.schema, table.name)
    if not actual:
        raise LookupError(f"{relation(table)} does not exist")
    columns = [column.name for column in table.columns if column.name in actual]
    select = f"select {', '.join(quote(c) for c in columns)} from {relation(table)}"
    batch_column = table.loaded_at_field if table.key in source_suites.MONTHLY_BATCHED else None
    if batch_column is None or batch_column not in actual:
        yield Batch("all rows", connection.execute(select).df())
        return
    column = quote(batch_column)
    for group in time_spans(connection, table, column, batch_rows()):
        label = group[0].label if len(group) == 1 else f"{group[0].label}..{group[-1].label}"
        frame = connection.execute(
            f"{select} where {column} >= ? and {column} < ?", [group[0].start, group[-1].end]
        ).df()
        yield Batch(label, frame)
    nulls = connection.execute(
        f"select count(*) from {relation(table)} where {column} is null"
    ).fetchone()
    if nulls and nulls[0]:
        frame = connection.execute(f"{select} where {column} is null").df()
        yield Batch(f"{batch_column} null", frame)


def integrity_query(table: Table, reporting_currency: str) -> tuple[str, list[object]]:
    """SQL returning the rows of `table` that fail a key, reference or exchange-rate check."""
    name = relation(table)
    key = [quote(column) for column in table.primary_key]
    shown = list(table.primary_key)
    flags: list[str] = []
    parameters: list[object] = []
    on_key = " and ".join(f"duplicates.{c} = checked_table.{c}" for c in key)
    flags.append(f"not exists (select 1 from duplicates where {on_key}) as has_unique_key")
    for foreign_key in table.foreign_keys:
        parent = TABLES_BY_KEY[foreign_key.references]
        child_column = f"checked_table.{quote(foreign_key.column)}"
        flags.append(
            f"({child_column} is null or exists (select 1 from {relation(parent)} as parent "
            f"where parent.{quote(foreign_key.referenced_column)} = {child_column})) "
            f"as {source_suites.foreign_key_flag(foreign_key)}"
        )
        if foreign_key.column not in shown:
            shown.append(foreign_key.column)
    if table.currency_column:
        currency = f"checked_table.{quote(table.currency_column)}"
        dated = ""
        if table.conversion_date_column:
            dated = (
                f" and rates.rate_date <= "
                f"cast(checked_table.{quote(table.conversion_date_column)} as date)"
            )
            if table.conversion_date_column not in shown:
                shown.append(table.conversion_date_column)
        flags.append(
            f"({currency} is null or upper({currency}) = ? or exists (select 1 from "
            f"raw_billing.fx_rates as rates where rates.currency = {currency}{dated})) "
            "as has_fx_rate"
        )
        parameters.append(reporting_currency.upper())
        if table.currency_column not in shown:
            shown.append(table.currency_column)
    flag_names = [flag.rsplit(" as ", 1)[1] for flag in flags]
    query = (
        f"with duplicates as (select {', '.join(key)} from {name} group by all "
        f"having count(*) > 1), "
        f"checked as (select {', '.join(f'checked_table.{quote(c)}' for c in shown)}, "
        f"{', '.join(flags)} from {name} as checked_table) "
        f"select * from checked where not ({' and '.join(flag_names)}) "
        f"order by {', '.join(quote(c) for c in table.primary_key)}"
    )
    return query, parameters


def integrity_batches(
    connection: duckdb.DuckDBPyConnection, table: Table, reporting_currency: str
) -> Iterator[Batch]:
    query, parameters = integrity_query(table, reporting_currency)
    for index, frame in enumerate(_stream(connection, query, parameters)):
        yield Batch("offending rows" if index == 0 else f"offending rows {index + 1}", frame)


def previous_row_counts(connection: duckdb.DuckDBPyConnection) -> dict[str, int]:
    if not table_exists(connection, META_SCHEMA, "row_counts"):
        return {}
    rows = connection.execute(
        f"select table_key, row_count from {ROW_COUNTS_RELATION} "
        "qualify row_number() over (partition by table_key order by recorded_at desc) = 1"
    ).fetchall()
    return {key: int(count) for key, count in rows}


def current_row_counts(
    connection: duckdb.DuckDBPyConnection, tables: Sequence[str]
) -> dict[str, int]:
    counts: dict[str, int] = {}
    for key in tables:
        table = TABLES_BY_KEY[key]
        if table_exists(connection, table.schema, table.name):
            row = connection.execute(f"select count(*) from {relation(table)}").fetchone()
            counts[key] = int(row[0]) if row else 0
    return counts


def row_count_batches(
    connection: duckdb.DuckDBPyConnection, tables: Sequence[str]
) -> Iterator[Batch]:
    previous = previous_row_counts(connection)
    current = current_row_counts(connection, tables)
    records = []
    for key, rows in current.items():
        before = previous.get(key)
        drop = 0.0 if not before else max(0.0, (before - rows) / before)
        records.append(
            {"table_key": key, "previous_rows": before, "current_rows": rows, "drop_share": drop}
        )
    frame = pd.DataFrame.from_records(
        records, columns=["table_key", "previous_rows", "current_rows", "drop_share"]
    )
    frame["drop_share"] = frame["drop_share"].astype("float64")
    yield Batch("row counts", frame)


def scorecard_batches(connection: duckdb.DuckDBPyConnection) -> Iterator[Batch]:
    schema, name = SCORECARD_RELATION.split(".")
    if not table_exists(connection, schema, name):
        raise LookupError(f"{SCORECARD_RELATION} does not exist (did dbt build the marts?)")
    query = (
        f"select {', '.join(COLUMNS)}, coalesce(not is_suppressed and numerator is not null "
        "and denominator is not null and denominator <> 0, false) as is_value_expected "
        f"from {SCORECARD_RELATION}"
    )
    yield Batch("all rows", connection.execute(query).df())


def mart_batches(connection: duckdb.DuckDBPyConnection, mart_relation: str) -> Iterator[Batch]:
    """Every row of a wide mart, every column (a missing contract column must fail the
    columns expectation, not the fetch). Marts hold one row per period and segment: small."""
    schema, name = mart_relation.split(".")
    if not table_exists(connection, schema, name):
        raise LookupError(f"{mart_relation} does not exist (did dbt build the marts?)")
    yield Batch("all rows", connection.execute(f"select * from {quote(schema)}.{quote(name)}").df())


def reconciliation_query() -> str:
    rules = ", ".join(
        f"('{code}', '{segment_type}')"
        for code, types in RECONCILED.items()
        for segment_type in types
    )

    def reconciles(side: str) -> str:
        segments = f"coalesce(segments.segments_{side}, 0)"
        total = f"coalesce(expected.total_{side}, 0)"
        return f"abs({segments} - {total}) <= 1e-6 * greatest(1, abs({total}))"

    return f"""
        with rules (kpi_code, segment_type) as (values {rules}),
        totals as (
            select kpi_code, period_start, numerator as total_numerator,
                denominator as total_denominator
            from {SCORECARD_RELATION}
            where segment_type = 'total' and segment_value = 'all'
        ),
        segments as (
            select scorecard.kpi_code, scorecard.period_start, scorecard.segment_type,
                count(*) as segment_rows,
                sum(scorecard.numerator) as segments_numerator,
                sum(scorecard.denominator) as segments_denominator
            from {SCORECARD_RELATION} as scorecard
            inner join rules
                on scorecard.kpi_code = rules.kpi_code
                and scorecard.segment_type = rules.segment_type
            group by all
        ),
        expected as (
            select totals.kpi_code, totals.period_start, rules.segment_type,
                totals.total_numerator, totals.total_denominator
            from totals inner join rules on totals.kpi_code = rules.kpi_code
        )
        select
            coalesce(expected.kpi_code, segments.kpi_code) as kpi_code,
            coalesce(expected.period_start, segments.period_start) as period_start,
            coalesce(expected.segment_type, segments.segment_type) as segment_type,
            coalesce(segments.segment_rows, 0) as segment_rows,
            segments.segments_numerator, expected.total_numerator,
            segments.segments_denominator, expected.total_denominator,
            {reconciles("numerator")} as numerator_reconciles,
            {reconciles("denominator")} as denominator_reconciles
        from expected
        full outer join segments
            on expected.kpi_code = segments.kpi_code
            and expected.period_start = segments.period_start
            and expected.segment_type = segments.segment_type
        order by 1, 2, 3
    """


def reconciliation_batches(connection: duckdb.DuckDBPyConnection) -> Iterator[Batch]:
    schema, name = SCORECARD_RELATION.split(".")
    if not table_exists(connection, schema, name):
        raise LookupError(f"{SCORECARD_RELATION} does not exist (did dbt build the marts?)")
    yield Batch("all periods", connection.execute(reconciliation_query()).df())


def batches(
    connection: duckdb.DuckDBPyConnection, suite: SuiteSpec, settings: FetchSettings
) -> Iterator[Batch]:
    """The DataFrames `suite` validates, lazily, one at a time."""
    table = TABLES_BY_KEY.get(suite.table or "")
    if suite.kind == SCHEMA and table:
        return schema_batches(connection, table)
    if suite.kind == ROWS and table:
        return rows_batches(connection, table)
    if suite.kind == INTEGRITY and table:
        return integrity_batches(connection, table, settings.reporting_currency)
    if suite.kind == ROW_COUNTS:
        return row_count_batches(connection, settings.tables)
    if suite.kind == SCORECARD:
        return scorecard_batches(connection)
    if suite.kind == RECONCILIATION:
        return reconciliation_batches(connection)
    if suite.kind == MART and suite.table:
        return mart_batches(connection, suite.table)
    raise ValueError(f"no fetch for suite {suite.name} (kind {suite.kind})")
