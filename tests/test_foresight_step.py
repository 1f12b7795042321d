"""The refresh's forecast step (nyckeltal.insights.foresight), as PostgreSQL and Spark run it,
on a small warehouse read through an engine's interface: it writes the three forecast tables
the dbt Python models write on DuckDB, with the same rows, and re-uses the stored selection
of a series whose history did not change (as the incremental dbt model does)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from scorecard_series import CATALOGUE, scorecard_series

from nyckeltal.engine import DuckDBEngine
from nyckeltal.insights import forecast_paths as fp
from nyckeltal.insights import outlook_rows as orows
from nyckeltal.insights import selection as sel
from nyckeltal.insights.foresight import refresh_foresight_tables
from nyckeltal.settings import Settings

AS_OF = dt.date(2024, 3, 15)


class _Reader:
    """A DuckDB connection with the interface of another engine's (table_columns)."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.connection.execute(sql, list(params))

    def table_columns(self, schema: str, name: str) -> dict[str, str]:
        return dict(
            self.connection.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, name],
            ).fetchall()
        )


class _AnotherEngine(DuckDBEngine):
    """DuckDB read as the refresh reads PostgreSQL or Spark."""

    @contextmanager
    def connect(self, warehouse: Path) -> Iterator[_Reader]:
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            yield _Reader(connection)


def _warehouse(path: Path, scorecard: pd.DataFrame) -> Path:
    with duckdb.connect(str(path)) as connection:
        for schema in ("marts", "seeds", "intermediate"):
            connection.execute(f"create schema {schema}")
        connection.register("scorecard_rows", scorecard)
        connection.register("catalogue_rows", CATALOGUE)
        connection.execute("create table marts.kpi_scorecard as from scorecard_rows")
        connection.execute("create table seeds.kpi_catalogue as from catalogue_rows")
        connection.execute(
            "create table intermediate.int_reporting_window as select ?::date as as_of_date",
            [AS_OF],
        )
    return path


def _table(warehouse: Path, name: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.sql(f"from intermediate.{name}").df()


def test_the_step_writes_the_dbt_models_tables_and_reuses_the_stored_selection(
    tmp_path: Path,
) -> None:
    values = [3.0 + 0.1 * (index % 5) + 0.02 * index for index in range(26)]
    scorecard = pd.concat(
        [
            scorecard_series(values, segment=("plan", "basic"), in_progress_value=3.4),
            scorecard_series([2 * value for value in values], segment=("plan", "pro")),
        ],
        ignore_index=True,
    )
    warehouse = _warehouse(tmp_path / "w.duckdb", scorecard)
    engine = _AnotherEngine(Settings(target="duckdb"))
    written = refresh_foresight_tables(engine, warehouse)

    # What the dbt Python models compute from the same tables.
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        typed_scorecard = connection.sql("from marts.kpi_scorecard").df()
        catalogue = connection.sql("from seeds.kpi_catalogue").df()
        selection = connection.from_df(sel.model_selection(typed_scorecard)).project(sel.PROJECTION)
        paths = connection.from_df(
            fp.forecast_paths(typed_scorecard, catalogue, AS_OF, selection.df())
        ).project(fp.PROJECTION)
        outlook = connection.from_df(
            orows.target_outlook(paths.df(), typed_scorecard, catalogue, AS_OF)
        ).project(orows.PROJECTION)
        expected = {
            "int_kpi_forecast_selection": selection.df(),
            "int_kpi_forecast_paths": paths.df(),
            "int_kpi_target_outlook_computed": outlook.df(),
        }
    assert written.rows == {
        "int_kpi_forecast_selection": 2,
        "int_kpi_forecast_paths": 24,  # two series x horizons 1..12
        "int_kpi_target_outlook_computed": 6,  # per series: its month, quarter and year
    }
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(_table(warehouse, name), frame, check_exact=True)

    # A stored choice whose series did not change is re-used, not backtested again.
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "update intermediate.int_kpi_forecast_selection set model = 'Naive', "
            "beats_naive = false where segment_value = 'pro'"
        )
    refresh_foresight_tables(engine, warehouse)
    paths = _table(warehouse, "int_kpi_forecast_paths")
    models = paths.groupby("segment_value")["model"].unique().to_dict()
    assert list(models["pro"]) == ["Naive"]
    assert list(models["basic"]) == list(
        expected["int_kpi_forecast_paths"].query("segment_value == 'basic'")["model"].unique()
    )
    assert list(models["basic"]) != ["Naive"]
