"""One line per stage of a refresh, for a person watching it.

The steps of the daily job report here (`stage`): what they did, in rows or counts, and how
long it took. `nyckeltal run` shows these lines on standard output and keeps Dagster's and
dbt's own logs for `--verbose`; under `dagster dev` the same lines go to the run's log.

On a terminal, `nyckeltal run` also shows a live status line while a stage runs (rich): the
stage, the seconds so far and its detail once known, so a long stage shows signs of life. In
a log or CI (not a terminal) the output is the plain lines alone.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

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
    live = [handler for handler in logger.handlers if isinstance(handler, LiveConsoleHandler)]
    for handler in live:
        handler.begin(current)
    failed = True
    try:
        yield current
        failed = False
    finally:
        for handler in live:
            handler.end(current)
        state = "FAILED " if failed else ""
        detail = f"  {current.detail}" if current.detail else ""
        logger.info(f"{state}{name:<18}{detail}  ({current.seconds:.1f} s)")


class _Running:
    """The live status of the running stage, re-rendered on every refresh of the display."""

    def __init__(self, current: Stage) -> None:
        self.stage = current
        self.spinner = Spinner("dots")

    def __rich__(self) -> RenderableType:
        detail = f"  {self.stage.detail}" if self.stage.detail else ""
        self.spinner.update(text=Text(f"{self.stage.name}  {self.stage.seconds:.0f} s{detail}"))
        return self.spinner


class LiveConsoleHandler(logging.Handler):
    """Progress lines printed through a rich console, with a live status line under them
    while a stage runs (a terminal only: the status line is redrawn in place)."""

    def __init__(self, console: Console) -> None:
        super().__init__(logging.INFO)
        self.console = console
        self._live: Live | None = None
        self._running: list[Stage] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.console.print(Text(record.getMessage()), highlight=False)

    def begin(self, current: Stage) -> None:
        self._running.append(current)
        if self._live is None:
            self._live = Live(
                _Running(current),
                console=self.console,
                refresh_per_second=4,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.start()
        else:
            self._live.update(_Running(current))

    def end(self, current: Stage) -> None:
        if current in self._running:
            self._running.remove(current)
        if self._live is None:
            return
        if self._running:
            self._live.update(_Running(self._running[-1]))
        else:
            self._live.stop()
            self._live = None


def show_on_console(live: bool = True, console: Console | None = None) -> logging.Handler:
    """Print progress lines on standard output (the command line does this once): through
    rich with a live status line when it is a terminal and `live`, else plain lines."""
    for handler in logger.handlers:
        if getattr(handler, "_nyckeltal", False):
            return handler
    console = console or Console(file=sys.stdout)
    handler: logging.Handler
    if live and console.is_terminal:
        handler = LiveConsoleHandler(console)
    else:
        handler = logging.StreamHandler(console.file)
        handler.setFormatter(logging.Formatter("%(message)s"))
    handler._nyckeltal = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return handler
