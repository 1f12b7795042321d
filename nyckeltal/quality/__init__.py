"""Data quality: Great Expectations suites over the raw sources and the marts.

- `spec`: a suite as data (checks with a severity), turned into GX JSON;
- `source_suites`: the suites of the fifteen raw tables, derived from `nyckeltal.contract`;
- `mart_suites`: the suites of the marts (the kpi_scorecard contract, every wide mart);
- `mart_contracts`: the enforced dbt contracts of the marts, read from the model YAML;
- `project`: the GX file context in `expectations/` (generated, committed, checked for drift);
- `assets`: what each suite validates (a GX SQL table or query asset on the warehouse, or a
  small DataFrame of facts about tables), and the SQL of the query assets;
- `duckdb_sql_shim`: the fixes that make GX's SQL data source work on DuckDB;
- `gx_api`: `gx_context` and `gx_parameters`, to run the checkpoints with GX's own API;
- `runner`: running a checkpoint, one loop on every engine;
- `batches`: where a suite's batch comes from on the run's engine (chosen by its
  `gx_context_mode`): an ephemeral GX context on the engine's data source (PostgreSQL,
  Spark), or `file_context`: the committed file context on DuckDB, with Data Docs;
- `outcome`: what a validation found (`ValidationOutcome`) and how it reads;
- `row_counts`: the row counts of the previous load, kept in the warehouse.

`nyckeltal.pipeline.validate_sources` and `validate_marts` are the entry points.
"""

from typing import Any

__all__ = ["gx_context", "gx_parameters"]


def __getattr__(name: str) -> Any:
    """`gx_context` and `gx_parameters` (imported on first use: `python -m
    nyckeltal.quality.project` must not import the project module twice)."""
    if name in __all__:
        from nyckeltal.quality import gx_api

        return getattr(gx_api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
