"""The engines of profiles.yml behind one interface (`Engine`, nyckeltal.engine.base): one
implementation each for DuckDB (the default), PostgreSQL and Spark. The edge builds the run's
engine once from its settings (`engine_for`); engine names are compared only in this package.
"""

from __future__ import annotations

from nyckeltal.engine.base import (
    DUCKDB_ONLY_MODELS,
    FORESIGHT_MARTS,
    FORESIGHT_MARTS_SELECTION,
    MARTS_SCHEMA,
    SKIPPED_ON_ENGINES,
    Engine,
    duckdb_type,
)
from nyckeltal.engine.duckdb import DuckDBEngine
from nyckeltal.engine.postgres import PostgresEngine
from nyckeltal.engine.spark import SparkEngine
from nyckeltal.settings import Settings

ENGINES: dict[str, type[Engine]] = {
    engine.name: engine for engine in (DuckDBEngine, PostgresEngine, SparkEngine)
}

__all__ = [
    "DUCKDB_ONLY_MODELS",
    "ENGINES",
    "FORESIGHT_MARTS",
    "FORESIGHT_MARTS_SELECTION",
    "MARTS_SCHEMA",
    "SKIPPED_ON_ENGINES",
    "DuckDBEngine",
    "Engine",
    "PostgresEngine",
    "SparkEngine",
    "duckdb_type",
    "engine_for",
]


def engine_for(config: Settings) -> Engine:
    """The engine of NYCKELTAL_TARGET (settings validate the name)."""
    return ENGINES[config.target](config)
