"""What each suite validates: a GX SQL asset on the warehouse, or a small runtime DataFrame.

Great Expectations runs every check on the rows as SQL inside DuckDB (the `nyckeltal` SQL
data source over duckdb-engine, read-only; see `duckdb_sql_shim`), so no table row is
copied into Python:

- a raw table's rows (`rows`) and a wide mart (`mart`): a GX **table asset**;
- the cross-row and cross-table checks (`integrity`), the scorecard with its computed
  `is_value_expected` (`scorecard`) and the reconciliation of its segments
  (`reconciliation`): a GX **query asset**; the integrity query returns only the offending
  rows, one boolean column per check;

Two suites validate facts *about* tables, also as query assets of the warehouse, so that GX's
own `checkpoint.run()` runs them (see `gx_api`): the physical types of a raw table (`schema`:
one row, one column per existing column holding its DuckDB type, pivoted from
`information_schema.columns`, so a missing column is a missing batch column) and the row
counts against the previous load (`row_counts`: one row per contract table, previous counts
from `nyckeltal_meta.row_counts`). The other engines (`batches.EngineBatches`) hand the same
facts to GX as small DataFrames (`runtime_frame`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

from nyckeltal.availability import absent_tables
from nyckeltal.contract import TABLES_BY_KEY, Table
from nyckeltal.loading.sql import quote
from nyckeltal.quality import source_suites
from nyckeltal.quality.mart_suites import reconciled
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
from nyckeltal.scorecard import PUBLISHED_COLUMNS, SCORECARD_RELATION
from nyckeltal.settings import PACKAGE_PROJECT_DIR, project_vars

META_SCHEMA = "nyckeltal_meta"
ROW_COUNTS_RELATION = f"{META_SCHEMA}.row_counts"
# The DuckDB variable holding the reporting currency (set on every connection GX opens);
# the integrity queries fall back to the dbt project's default when it is unset.
REPORTING_CURRENCY_VARIABLE = "nyckeltal_reporting_currency"

TABLE_ASSET = "table"
QUERY_ASSET = "query"
DATAFRAME_ASSET = "dataframe"
ASSET_TYPES = {
    ROWS: TABLE_ASSET,
    MART: TABLE_ASSET,
    INTEGRITY: QUERY_ASSET,
    SCORECARD: QUERY_ASSET,
    RECONCILIATION: QUERY_ASSET,
    SCHEMA: QUERY_ASSET,
    ROW_COUNTS: QUERY_ASSET,
}


def engine_asset_type(suite: SuiteSpec) -> str:
    """The asset of a suite on PostgreSQL and Spark (`batches.EngineBatches`): the facts about
    tables are DataFrames there (types named the DuckDB way by `nyckeltal.engine`)."""
    return DATAFRAME_ASSET if suite.kind in (SCHEMA, ROW_COUNTS) else asset_type(suite)


def relation(table: Table) -> str:
    return f"{table.schema}.{table.name}"


def asset_type(suite: SuiteSpec) -> str:
    return ASSET_TYPES[suite.kind]


def validated_relation(suite: SuiteSpec) -> str:
    """`schema.table` that a suite reads (which must exist before GX runs)."""
    table = TABLES_BY_KEY.get(suite.table or "")
    if table is not None:
        return relation(table)
    if suite.table:
        return suite.table
    raise ValueError(f"suite {suite.name} reads no single relation")


def table_asset(suite: SuiteSpec) -> dict[str, str]:
    """`table_name` and `schema_name` of a table asset."""
    schema, name = validated_relation(suite).split(".")
    return {"table_name": name, "schema_name": schema}


def asset_query(
    suite: SuiteSpec,
    reporting_currency: str | None = None,
    project: Path = PACKAGE_PROJECT_DIR,
) -> str:
    """The SQL of a query asset (`reporting_currency`: see `integrity_query`) of `project`
    (the run's RunContext.project_dir: its catalogue and dbt vars)."""
    if suite.kind == INTEGRITY:
        return integrity_query(TABLES_BY_KEY[suite.table or ""], reporting_currency, project)
    if suite.kind == SCORECARD:
        return scorecard_query()
    if suite.kind == RECONCILIATION:
        return reconciliation_query(project)
    if suite.kind == SCHEMA:
        return schema_query(TABLES_BY_KEY[suite.table or ""])
    if suite.kind == ROW_COUNTS:
        return row_counts_query()
    raise ValueError(f"suite {suite.name} (kind {suite.kind}) is not a query asset")


# --------------------------------------------------------------------------- catalogue


def table_columns(connection: duckdb.DuckDBPyConnection, schema: str, name: str) -> dict[str, str]:
    """Column name -> DuckDB type of a table (empty when the table does not exist).
    `connection` may be another engine's (nyckeltal.engine), which names types the same."""
    if hasattr(connection, "table_columns"):
        return connection.table_columns(schema, name)
    rows = connection.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, name],
    ).fetchall()
    return dict(rows)


def table_exists(connection: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(table_columns(connection, schema, name))


def missing_relation(connection: duckdb.DuckDBPyConnection, suite: SuiteSpec) -> str | None:
    """Why a SQL asset of `suite` cannot be validated (its relation is missing), or None.
    (An integrity query that cannot run fails with DuckDB's own message instead: it also
    reads the parent tables.)"""
    if suite.kind in (INTEGRITY, ROW_COUNTS):
        return None
    schema, name = validated_relation(suite).split(".")
    if table_exists(connection, schema, name):
        return None
    if schema.startswith("raw_"):
        return f"{schema}.{name} does not exist"
    return f"{schema}.{name} does not exist (did dbt build the marts?)"


def row_count(connection: duckdb.DuckDBPyConnection, suite: SuiteSpec) -> int:
    """Rows of the relation a SQL asset reads (DuckDB answers from its metadata)."""
    row = connection.execute(f"select count(*) from {validated_relation(suite)}").fetchone()
    return int(row[0]) if row else 0


# --------------------------------------------------------------------------- queries


def integrity_query(
    table: Table, reporting_currency: str | None = None, project: Path = PACKAGE_PROJECT_DIR
) -> str:
    """SQL returning the rows of `table` that fail a key, reference or exchange-rate check:
    the identifying columns and one boolean per check. Every check is a left join on a small
    relation (duplicate keys, distinct parent keys, first rate date per currency), so DuckDB
    scans the table once with hash joins. The reporting currency is DuckDB's session variable,
    or the literal `reporting_currency` on the other engines (the SQL is otherwise the same);
    without either, the dbt var of `project`'s dbt_project.yml."""
    name = relation(table)
    key = [quote(column) for column in table.primary_key]
    shown = list(table.primary_key)
    ctes = [
        f"duplicates as (select {', '.join(key)}, true as is_duplicate from {name} "
        f"group by {', '.join(key)} having count(*) > 1)"
    ]
    joins = [
        "left join duplicates on "
        + " and ".join(f"duplicates.{c} = checked_table.{c}" for c in key)
    ]
    flags = ["duplicates.is_duplicate is null as has_unique_key"]
    for index, foreign_key in enumerate(table.foreign_keys, start=1):
        parent = TABLES_BY_KEY[foreign_key.references]
        alias = f"parent_keys_{index}"
        child_column = f"checked_table.{quote(foreign_key.column)}"
        ctes.append(
            f"{alias} as (select distinct {quote(foreign_key.referenced_column)} as parent_key "
            f"from {relation(parent)})"
        )
        joins.append(f"left join {alias} on {alias}.parent_key = {child_column}")
        flags.append(
            f"({child_column} is null or {alias}.parent_key is not null) "
            f"as {source_suites.foreign_key_flag(foreign_key)}"
        )
        if foreign_key.column not in shown:
            shown.append(foreign_key.column)
    if table.currency_column:
        currency = f"checked_table.{quote(table.currency_column)}"
        ctes.append(
            "first_rates as (select currency, min(rate_date) as first_rate_date "
            "from raw_billing.fx_rates group by currency)"
        )
        joins.append(f"left join first_rates on first_rates.currency = {currency}")
        if table.conversion_date_column:
            # A rate dated on or before the conversion date exists iff the first one is.
            date = f"cast(checked_table.{quote(table.conversion_date_column)} as date)"
            has_rate = f"coalesce(first_rates.first_rate_date <= {date}, false)"
            if table.conversion_date_column not in shown:
                shown.append(table.conversion_date_column)
        else:
            has_rate = "first_rates.first_rate_date is not null"
        default = str(project_vars(project)["reporting_currency"]).upper()
        reporting = f"coalesce(getvariable('{REPORTING_CURRENCY_VARIABLE}'), '{default}')"
        if reporting_currency is not None:  # another engine: no session variable
            reporting = "'" + reporting_currency.upper().replace("'", "''") + "'"
        flags.append(
            f"({currency} is null or upper({currency}) = {reporting} or {has_rate}) as has_fx_rate"
        )
        if table.currency_column not in shown:
            shown.append(table.currency_column)
    flag_names = [flag.rsplit(" as ", 1)[1] for flag in flags]
    columns = ", ".join(f"checked_table.{quote(c)}" for c in shown)
    ctes.append(
        f"checked as (select {columns}, {', '.join(flags)} from {name} as checked_table "
        f"{' '.join(joins)})"
    )
    return (
        f"select * from (with {', '.join(ctes)} "
        f"select * from checked where not ({' and '.join(flag_names)}) "
        f"order by {', '.join(quote(c) for c in table.primary_key)}) as offending_rows"
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def schema_query(table: Table) -> str:
    """One row, one column per column of the table holding its DuckDB type (as
    `schema_frame`): a dynamic PIVOT of `information_schema.columns`, so a column the table
    lacks is a column the batch lacks."""
    return (
        "select * from (pivot (select column_name, data_type from information_schema.columns "
        f"where table_schema = {_literal(table.schema)} and table_name = {_literal(table.name)})"
        " on column_name using first(data_type)) as column_types"
    )


def row_counts_query() -> str:
    """One row per contract table (as `row_count_frame`): its rows now, at the previous load
    (the latest of `nyckeltal_meta.row_counts`, which `row_counts.ensure_table` creates) and
    the share lost."""
    current = " union all ".join(
        f"select {index} as position, {_literal(table.key)} as table_key, "
        f"count(*) as current_rows from {relation(table)}"
        for index, table in enumerate(TABLES_BY_KEY.values())
    )
    return f"""select * from (
        with current_counts as ({current}),
        previous_counts as (
            select table_key, row_count from {ROW_COUNTS_RELATION}
            qualify row_number() over (partition by table_key order by recorded_at desc) = 1
        )
        select
            current_counts.table_key,
            previous_counts.row_count as previous_rows,
            current_counts.current_rows,
            cast(case
                when coalesce(previous_counts.row_count, 0) = 0 then 0
                else greatest(0, (previous_counts.row_count - current_counts.current_rows)
                    / previous_counts.row_count)
            end as double) as drop_share
        from current_counts
        left join previous_counts on previous_counts.table_key = current_counts.table_key
        order by current_counts.position
    ) as row_counts"""


def scorecard_query() -> str:
    return (
        f"select {', '.join(PUBLISHED_COLUMNS)}, "
        "coalesce(not is_suppressed and numerator is not null and denominator is not null "
        "and denominator <> 0, false) as is_value_expected "
        f"from {SCORECARD_RELATION}"
    )


def reconciliation_query(project: Path = PACKAGE_PROJECT_DIR) -> str:
    rules = ", ".join(
        f"('{code}', '{segment_type}')"
        for code, types in reconciled(project).items()
        for segment_type in types
    )

    def reconciles(side: str) -> str:
        segments = f"coalesce(segments.segments_{side}, 0)"
        total = f"coalesce(expected.total_{side}, 0)"
        return f"abs({segments} - {total}) <= 1e-6 * greatest(1, abs({total}))"

    return f"""select * from (
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
            group by scorecard.kpi_code, scorecard.period_start, scorecard.segment_type
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
    ) as reconciliation
    order by kpi_code, period_start, segment_type"""


# --------------------------------------------------------------------------- runtime frames


def schema_frame(connection: duckdb.DuckDBPyConnection, table: Table) -> pd.DataFrame:
    """One row, one column per column of the table holding its DuckDB type (no columns when
    the table does not exist)."""
    types = table_columns(connection, table.schema, table.name)
    return pd.DataFrame([types]) if types else pd.DataFrame()


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
    absent = absent_tables(connection)  # no rows by design, not a drop: not counted
    for key in tables:
        table = TABLES_BY_KEY[key]
        if key not in absent and table_exists(connection, table.schema, table.name):
            row = connection.execute(f"select count(*) from {relation(table)}").fetchone()
            counts[key] = int(row[0]) if row else 0
    return counts


def row_count_frame(connection: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> pd.DataFrame:
    """One row per table in scope: its rows now, at the previous load, and the share lost."""
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
    return frame


def runtime_frame(
    connection: duckdb.DuckDBPyConnection, suite: SuiteSpec, tables: Sequence[str]
) -> pd.DataFrame:
    """The DataFrame of a `schema` or `row_counts` suite."""
    if suite.kind == SCHEMA:
        return schema_frame(connection, TABLES_BY_KEY[suite.table or ""])
    if suite.kind == ROW_COUNTS:
        return row_count_frame(connection, tables)
    raise ValueError(f"suite {suite.name} (kind {suite.kind}) is not a runtime DataFrame")
