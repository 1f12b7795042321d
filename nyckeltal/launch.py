"""The command line's edge to Dagster: the one place in nyckeltal/ that imports orchestration/.

`nyckeltal run` and the benchmark's refresh stages launch the daily job here; the rest of the
library knows nothing of Dagster (tests/test_architecture.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def launch_refresh(warehouse: Path, **options: Any) -> bool:
    """Run the daily job in process on `warehouse`; True on success. `options` are those of
    orchestration.refresh.run_daily_refresh: `as_of`, the days `start`..`end` (default: every
    day, a full build) and `verbose`."""
    from orchestration.refresh import run_daily_refresh

    return run_daily_refresh(warehouse, **options)


def import_refresh() -> None:
    """Import what launch_refresh runs (Dagster, dagster-dbt, the code location), so that a
    caller can time a refresh without its imports (the benchmark)."""
    import orchestration.refresh  # noqa: F401
