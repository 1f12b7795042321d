"""Engine.write_table (one computed table replaced at once) and the refresh's dbt steps
around the forecast tables, without a server: DuckDB's writer, the Parquet folder writer
Spark's engine uses, the PostgreSQL types of an Arrow table. The PostgreSQL and Spark
writers run for real in tests/test_engines.py (the forecast tables of `nyckeltal run`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from dagster import AssetKey

from nyckeltal.engine import FORESIGHT_MARTS_SELECTION, engine_for, frame_writers
from nyckeltal.engine.frame_writers import postgres_type, write_parquet_table
from nyckeltal.settings import Settings
from orchestration.defs.dbt import dbt_steps

KEY = AssetKey(["intermediate", "foresight_tables"])


def _frame(values: list[float]) -> pa.Table:
    return pa.table(
        {
            "kpi_code": pa.array(["mrr"] * len(values), pa.string()),
            "horizon": pa.array(range(1, len(values) + 1), pa.int32()),
            "period_start": pa.array([dt.date(2024, 1, 1)] * len(values), pa.date32()),
            "is_in_progress": pa.array([False] * len(values), pa.bool_()),
            "forecast": pa.array(values, pa.float64()),
        }
    )


def test_duckdb_replaces_a_table_with_the_frames_types(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    engine = engine_for(Settings(target="duckdb"))
    engine.write_table(warehouse, "intermediate", "paths", _frame([1.5, 2.5, None]))
    engine.write_table(warehouse, "intermediate", "paths", _frame([4.0, 5.0]))
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        table = connection.sql("from intermediate.paths order by horizon")
        rows, types = table.fetchall(), [str(kind) for kind in table.types]
    assert rows == [
        ("mrr", 1, dt.date(2024, 1, 1), False, 4.0),
        ("mrr", 2, dt.date(2024, 1, 1), False, 5.0),
    ]
    assert types == ["VARCHAR", "INTEGER", "DATE", "BOOLEAN", "DOUBLE"]


def test_a_parquet_table_folder_is_replaced_whole(tmp_path: Path) -> None:
    folder = tmp_path / "tables" / "intermediate.db" / "paths"
    write_parquet_table(folder, _frame([1.0, 2.0, 3.0]))
    write_parquet_table(folder, _frame([7.0]))
    assert sorted(path.name for path in folder.iterdir()) == ["part-0.parquet"]
    assert sorted(path.name for path in folder.parent.iterdir()) == ["paths"]  # nothing left over
    with duckdb.connect() as connection:
        rows = connection.execute(
            f"select horizon, forecast from read_parquet('{folder}/*.parquet')"
        ).fetchall()
    assert rows == [(1, 7.0)]


def test_a_failed_swap_puts_the_previous_folder_back(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "tables" / "intermediate.db" / "paths"
    write_parquet_table(folder, _frame([1.0, 2.0]))
    renames = []
    real_replace = frame_writers.os.replace

    def second_rename_fails(source: Path, target: Path) -> None:
        renames.append((Path(source).name, Path(target).name))
        if len(renames) == 2:
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(frame_writers.os, "replace", second_rename_fails)
    with pytest.raises(OSError, match="No space left"):
        write_parquet_table(folder, _frame([9.0]))
    monkeypatch.undo()
    assert renames[0][0] == "paths" and renames[1][1] == "paths"
    assert sorted(path.name for path in folder.parent.iterdir()) == ["paths"]  # nothing left over
    with duckdb.connect() as connection:
        rows = connection.execute(
            f"select horizon, forecast from read_parquet('{folder}/*.parquet') order by 1"
        ).fetchall()
    assert rows == [(1, 1.0), (2, 2.0)]


def test_postgres_types_of_the_forecast_columns() -> None:
    assert [postgres_type(field.type) for field in _frame([1.0]).schema] == [
        "text",
        "integer",
        "date",
        "boolean",
        "double precision",
    ]
    assert postgres_type(pa.decimal128(18, 2)) == "numeric(18,2)"
    with pytest.raises(ValueError, match="no PostgreSQL type for the Arrow type list<item: int64>"):
        postgres_type(pa.list_(pa.int64()))


def test_dbt_builds_once_on_duckdb_and_around_the_forecast_tables_elsewhere() -> None:
    [single] = dbt_steps(engine_for(Settings(target="duckdb")), KEY)
    assert (single.name, single.select, single.exclude, single.flags()) == (
        "dbt_models",
        "fqn:*",
        None,
        (),
    )
    for target in ("postgres", "spark"):
        first, second = dbt_steps(engine_for(Settings(target=target)), KEY)
        assert first.exclude is not None and first.exclude.endswith(FORESIGHT_MARTS_SELECTION)
        assert "path:models/intermediate/insights" in first.exclude
        assert (second.name, second.select, second.foresight_key) == (
            "dbt_foresight_marts",
            "kpi_forecasts+ kpi_target_outlook+",
            KEY,
        )
        assert first.flags() == second.flags() == ("--indirect-selection", "buildable")
