"""The forecast tables on an engine without dbt Python models (PostgreSQL, Spark).

On DuckDB three dbt Python models compute them (models/intermediate/insights). Elsewhere the
refresh does, between two dbt builds (orchestration.defs.insights, `foresight_tables`): it
reads the scorecard, the KPI catalogue, the reporting window and the stored selection from
the engine, runs the same functions as those models on DuckDB's typed frames of them, and
writes the same three tables with the same columns and types (Engine.write_table), which
marts.kpi_forecasts and marts.kpi_target_outlook read on every engine
(macros/foresight_relation.sql). Same inputs, same code: the same numbers as DuckDB's, but
for the last bits of the optimizers' floats.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from nyckeltal.engine import Engine
from nyckeltal.engine.base import copy_table
from nyckeltal.insights import forecast_paths as fp
from nyckeltal.insights import outlook_rows as orows
from nyckeltal.insights import selection as sel
from nyckeltal.relations import has_relation

SCHEMA = "intermediate"
SELECTION = "int_kpi_forecast_selection"
PATHS = "int_kpi_forecast_paths"
OUTLOOK = "int_kpi_target_outlook_computed"
# What the computation reads (schema, table): the relations of the dbt Python models' refs.
INPUTS = (
    ("marts", "kpi_scorecard"),
    ("seeds", "kpi_catalogue"),
    (SCHEMA, "int_reporting_window"),
)


@dataclass
class ForesightTables:
    """The rows written per table and the seconds the computation took."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def refresh_foresight_tables(
    engine: Engine, warehouse: Path, progress: Callable[[str], None] = lambda _line: None
) -> ForesightTables:
    """Compute the selection, the forecast paths and the target outlook from the engine's
    tables and write them back (each replaced at once)."""
    started = time.perf_counter()
    result = ForesightTables()
    with duckdb.connect() as local:
        with engine.connect(warehouse) as source:
            for schema, table in INPUTS:
                copy_table(source, schema, table, local)
            stored_exists = has_relation(source, SCHEMA, SELECTION)
            if stored_exists:
                copy_table(source, SCHEMA, SELECTION, local)
        scorecard = _frame(local, "marts", "kpi_scorecard")
        catalogue = _frame(local, "seeds", "kpi_catalogue")
        as_of = orows.as_of_date_of(_frame(local, SCHEMA, "int_reporting_window"))
        stored = _frame(local, SCHEMA, SELECTION) if stored_exists else None
        progress(f"forecasting {len(scorecard)} scorecard rows as of {as_of}")
        selection = _typed(local, sel.model_selection(scorecard, stored), sel.PROJECTION)
        paths = _typed(
            local, fp.forecast_paths(scorecard, catalogue, as_of, selection.df()), fp.PROJECTION
        )
        outlook = _typed(
            local,
            orows.target_outlook(paths.df(), scorecard, catalogue, as_of),
            orows.PROJECTION,
        )
        tables = {SELECTION: selection, PATHS: paths, OUTLOOK: outlook}
        frames = {name: relation.to_arrow_table() for name, relation in tables.items()}
    result.seconds = time.perf_counter() - started
    for name, frame in frames.items():
        engine.write_table(warehouse, SCHEMA, name, frame)
        result.rows[name] = frame.num_rows
    return result


def _frame(local: duckdb.DuckDBPyConnection, schema: str, table: str) -> pd.DataFrame:
    return local.sql(f'select * from "{schema}"."{table}"').df()


def _typed(local: duckdb.DuckDBPyConnection, rows: pd.DataFrame, projection: str) -> Any:
    """The rows with the table's columns and types (as the dbt Python model returns them)."""
    return local.from_df(rows).project(projection)
