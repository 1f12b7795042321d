"""One line per stage of a refresh, for a person watching it.

The steps of the daily job report here (`stage`): what they did, in rows or counts, and how
long it took. `nyckeltal run` shows these lines on standard output and keeps Dagster's and
dbt's own logs for `--verbose`; under `dagster dev` the same lines go to the run's log.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

LOGGER_NAME = "nyckeltal.progress"
logger = logging.getLogger(LOGGER_NAME)


class Stage:
    """What a stage reports: a short detail set while it runs."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.detail = ""
        self.started = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


@contextmanager
def stage(name: str) -> Iterator[Stage]:
    """Time a stage and log `name  detail  (seconds)` when it ends (also when it fails)."""
    current = Stage(name)
    failed = True
    try:
        yield current
        failed = False
    finally:
        state = "FAILED " if failed else ""
        detail = f"  {current.detail}" if current.detail else ""
        logger.info(f"{state}{name:<18}{detail}  ({current.seconds:.1f} s)")


def show_on_console() -> None:
    """Print progress lines on standard output (the command line does this once)."""
    if any(getattr(handler, "_nyckeltal", False) for handler in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler._nyckeltal = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
