"""The GX project for Great Expectations' own API: one import, then `checkpoint.run()`.

```python
from nyckeltal.quality import gx_context, gx_parameters

context = gx_context("warehouse/nyckeltal.duckdb")
context.checkpoints.get("sources").run(expectation_parameters=gx_parameters())
context.checkpoints.get("marts").run()
```

`gx_context` applies `duckdb_sql_shim` (GX's SQL data source over duckdb-engine needs it),
creates the warehouse's `nyckeltal_meta.row_counts` when missing (the row-count suite reads
it) and opens the committed file context (`expectations/`, or NYCKELTAL_GX_DIR; its
generated files rewritten first if they are stale, as `nyckeltal validate` does) on the
warehouse. The source suites are parameterised by the moment of the run (`run_started_at`)
and the allowed row drop and date span: `gx_parameters()` gives the values `nyckeltal
validate` uses. `nyckeltal validate` (`runner`) runs the same checkpoints with severities,
timings and example rows.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nyckeltal.context import RunContext
from nyckeltal.quality import duckdb_sql_shim, project
from nyckeltal.quality.row_counts import ensure_row_counts_table
from nyckeltal.quality.runner import source_parameters, utc_naive

if TYPE_CHECKING:
    from great_expectations.data_context import FileDataContext


def gx_context(warehouse: str | Path, directory: str | Path | None = None) -> FileDataContext:
    """The Nyckeltal GX file context reading the DuckDB `warehouse`, ready for
    `context.checkpoints.get("sources" | "marts").run()`."""
    duckdb_sql_shim.apply()
    ensure_row_counts_table(Path(warehouse))
    context = RunContext.build(warehouse=warehouse)
    folder = Path(directory) if directory else context.gx_dir
    project.write_project(folder, context.project_dir)  # a no-op when the files are current
    return project.load_context(folder, Path(warehouse))


def gx_parameters(run_started_at: dt.datetime | None = None) -> dict[str, Any]:
    """The `expectation_parameters` of the `sources` checkpoint for a run that started at
    `run_started_at` (default: now, UTC), as `nyckeltal validate` passes them."""
    return source_parameters(RunContext.build(), utc_naive(run_started_at))
