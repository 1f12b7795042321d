"""Child processes end with their parent.

dbt runs as a child process (dagster-dbt's DbtCliResource starts it). Its executable is
`nyckeltal-dbt` (a console script of this package, beside `dbt`; see
nyckeltal.dbt_runner.dbt_executable). Given `--nyckeltal-environment FILE` first (what
nyckeltal.dbt_runner passes), it replaces itself (exec) with the same script run with the
variables of FILE added to its environment: dbt gets the run's values per invocation, and
the process that starts it never changes its own environment. It then binds itself to its
parent and runs dbt's own entry point in the same process:

- on Linux, with PR_SET_PDEATHSIG: the kernel sends it SIGTERM when its parent ends, however
  it ends (SIGKILL included); if the parent ended before that was set (it is no longer the
  parent dbt was started by), it exits at once;
- on other POSIX systems (macOS, BSD), a watchdog thread checks every second that the parent
  is still the one that started it and ends the process when it is not;
- on Windows neither exists: a dbt whose parent was killed runs until it next writes to its
  closed output pipe, or to its end.

A parent that is asked to stop (SIGINT, or SIGTERM turned into the same interrupt by
`interrupt_on_sigterm`) stops dbt itself: dagster-dbt forwards the interrupt to dbt and
waits for it.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

PR_SET_PDEATHSIG = 1  # linux/prctl.h
# nyckeltal-dbt's first argument, then a JSON file of the variables dbt runs with.
ENVIRONMENT_FLAG = "--nyckeltal-environment"
# The pid of the process that started dbt (in that file): dbt binds itself to it.
DBT_PARENT_PID_VARIABLE = "NYCKELTAL_DBT_PARENT_PID"
WATCHDOG_SECONDS = 1.0


def _end() -> None:
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(1)
    os._exit(143)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCHDOG_SECONDS)
    _end()


def bind_to_parent(parent: int | None) -> None:
    """End this process when `parent` (the pid that started it; None: the current parent)
    ends; see the module's docstring for each platform."""
    if parent is None:
        parent = os.getppid()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    elif sys.platform != "win32":
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if sys.platform != "win32" and os.getppid() != parent:
        _end()  # the parent ended before the binding was in place


def dbt_main() -> None:
    """The `nyckeltal-dbt` console script: `dbt`, bound to the process that started it,
    with the variables of `--nyckeltal-environment FILE` (see the module doc)."""
    arguments = sys.argv[1:]
    if arguments[:1] == [ENVIRONMENT_FLAG] and len(arguments) > 1:
        variables = json.loads(Path(arguments[1]).read_text(encoding="utf-8"))
        # This process's environment is the one dagster-dbt gave dbt; the run's variables
        # go on top, in the new process only.
        environment = {**os.environ, **{str(k): str(v) for k, v in variables.items()}}
        # The same script again (its command line still names nyckeltal-dbt), in a new
        # process image with the new environment.
        command = [sys.executable, sys.argv[0], *arguments[2:]]
        os.execve(sys.executable, command, environment)
    if arguments == ["--version"]:
        # What dagster-dbt asks before each invocation: answered without starting dbt
        # (which would also ask PyPI for its latest version).
        print(f"Core:\n  - installed: {metadata.version('dbt-core')}")
        return
    parent = os.environ.get(DBT_PARENT_PID_VARIABLE, "")
    bind_to_parent(int(parent) if parent.isdigit() else None)
    (entry,) = metadata.entry_points(group="console_scripts", name="dbt")
    sys.argv = ["dbt", *arguments]
    sys.exit(entry.load()())


@contextmanager
def interrupt_on_sigterm() -> Iterator[None]:
    """Within the block, SIGTERM interrupts the main thread like Ctrl-C (KeyboardInterrupt),
    so that a refresh stopped by `kill` ends the way Ctrl-C ends it: dbt stopped, the run
    recorded as failed, the warehouse's lock released. Elsewhere than the main thread, or
    where SIGTERM does not exist, the block runs unchanged."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    dbt_main()
