"""GX's SQL data source on DuckDB: empty metrics without the shim, right ones with it."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from nyckeltal.quality import duckdb_sql_shim


def gx_results(warehouse: Path, schema: str) -> list[dict[str, Any]]:
    """What GX's SQL data source computes for four expectations on `<schema>.events`."""
    import great_expectations as gx
    from great_expectations import expectations as gxe

    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sql(
        "warehouse",
        connection_string=f"duckdb:///{warehouse}",
        kwargs={"connect_args": {"read_only": True}},
    )
    asset = source.add_table_asset("events", table_name="events", schema_name=schema)
    batch = asset.add_batch_definition_whole_table("all rows").get_batch()
    checks = [
        gxe.ExpectColumnValuesToNotBeNull(column="event_id"),
        gxe.ExpectColumnValuesToBeBetween(column="amount", min_value=0),
        gxe.ExpectColumnValuesToMatchRegex(column="currency", regex="^[A-Z]{3}$"),
        gxe.ExpectColumnValuesToBeBetween(column="occurred_at", max_value=dt.datetime(2024, 6, 1)),
    ]
    results = []
    for check in checks:
        result = batch.validate(
            check,
            result_format={
                "result_format": "SUMMARY",
                "unexpected_index_column_names": ["event_id", "amount", "currency"],
            },
        )
        details = result.result or {}
        results.append(
            {
                "success": result.success,
                "element_count": details.get("element_count"),
                "unexpected_count": details.get("unexpected_count"),
                "examples": details.get("partial_unexpected_index_list"),
                "raised": bool(result.exception_info.get("raised_exception")),
            }
        )
    source.get_execution_engine().engine.dispose()
    return results


def make_warehouse(path: Path, schema: str) -> Path:
    with duckdb.connect(str(path)) as connection:
        connection.execute(f"create schema if not exists {schema}")
        connection.execute(
            f"create table {schema}.events as select 'E' || i as event_id, "
            "cast(i - 2 as decimal(18, 4)) as amount, "
            "case when i = 3 then 'eur' else 'EUR' end as currency, "
            "timestamp '2024-05-01' + to_days(cast(i as integer)) as occurred_at "
            "from range(1, 41) as t(i)"
        )
    return path


def test_without_the_shim_gx_computes_nothing_on_duckdb(tmp_path: Path) -> None:
    """The upstream defect (GX #10738, #11579), in a fresh interpreter: no counts at all,
    every expectation fails, even on a table of the default schema."""
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", "main")
    completed = subprocess.run(
        [sys.executable, __file__, str(warehouse), "main"],
        env={**os.environ, "GX_ANALYTICS_ENABLED": "false"},  # the child's own environment
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    without = json.loads(completed.stdout.strip().splitlines()[-1])
    assert [r["success"] for r in without] == [False] * 4
    assert all(r["element_count"] is None and r["unexpected_count"] is None for r in without)


def test_with_the_shim_gx_sql_metrics_are_right(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", "raw_test")
    duckdb_sql_shim.apply()
    shimmed = gx_results(warehouse, "raw_test")
    assert [r["raised"] for r in shimmed] == [False] * 4
    assert [r["success"] for r in shimmed] == [True, False, False, False]
    assert [r["element_count"] for r in shimmed] == [40, 40, 40, 40]
    # amount = i - 2 < 0 for i = 1; a lower-case currency for i = 3; occurred_at after
    # 2024-06-01 for i = 32..40.
    assert [r["unexpected_count"] for r in shimmed] == [0, 1, 1, 9]
    assert shimmed[1]["examples"] == [
        {"event_id": "E1", "amount": Decimal("-1"), "currency": "EUR"},
    ]
    assert shimmed[2]["examples"] == [
        {"event_id": "E3", "amount": Decimal("1"), "currency": "eur"},
    ]


def test_apply_is_idempotent_and_leaves_other_dialects_alone() -> None:
    from great_expectations.execution_engine.sqlalchemy_execution_engine import (
        SqlAlchemyExecutionEngine,
    )

    duckdb_sql_shim.apply()
    patched = SqlAlchemyExecutionEngine.execute_query
    duckdb_sql_shim.apply()
    assert duckdb_sql_shim.is_applied()
    assert SqlAlchemyExecutionEngine.execute_query is patched
    # SQLite keeps GX's own path (its cursor is not lazy).
    engine = SqlAlchemyExecutionEngine(connection_string="sqlite://")
    import sqlalchemy as sa

    assert engine.execute_query(sa.text("select 41 + 1")).scalar() == 42


def test_column_types_of_duckdb_spellings() -> None:
    import duckdb_engine
    import sqlalchemy as sa

    dialect = duckdb_engine.Dialect()
    numeric = duckdb_sql_shim.column_type(dialect, "DECIMAL(18,4)")
    assert isinstance(numeric, sa.Numeric) and (numeric.precision, numeric.scale) == (18, 4)
    assert isinstance(duckdb_sql_shim.column_type(dialect, "VARCHAR"), sa.String)
    assert isinstance(duckdb_sql_shim.column_type(dialect, "DOUBLE"), sa.Float)
    assert isinstance(duckdb_sql_shim.column_type(dialect, "TIMESTAMP"), sa.DateTime)
    assert isinstance(duckdb_sql_shim.column_type(dialect, "STRUCT(a INTEGER)"), sa.types.NullType)


if __name__ == "__main__":  # the unshimmed run of test_without_the_shim_...
    print(json.dumps(gx_results(Path(sys.argv[1]), sys.argv[2]), default=str))
