"""The command line's edge to Dagster: the one place in nyckeltal/ that imports orchestration/.

`nyckeltal run` and the benchmark's refresh stages launch the daily job here; the rest of the
library knows nothing of Dagster (tests/test_architecture.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nyckeltal.context import RunContext


def launch_refresh(context: RunContext, *, verbose: bool = False) -> bool:
    """Run the daily job in process on the context's warehouse, as of its as-of date, over
    its window of days (None: every day, a full build); True on success. Dagster's and dbt's
    own log lines only when `verbose`."""
    from orchestration.refresh import run_daily_refresh

    return run_daily_refresh(context, verbose=verbose)


def import_refresh() -> None:
    """Import what launch_refresh runs (Dagster, dagster-dbt, the code location), so that a
    caller can time a refresh without its imports (the benchmark)."""
    import orchestration.refresh  # noqa: F401
