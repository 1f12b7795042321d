"""One writer at a time on a warehouse.

`load`, `demo`, `run` and `validate` write the warehouse (the raw tables, dbt's models, the
recorded row counts, Great Expectations' results), and so does the Dagster job, whatever
starts it (`nyckeltal run`, the schedule, the UI). Each holds an exclusive lock for its whole
duration: the file `.<warehouse>.lock` beside the warehouse, locked with `filelock` (flock on
POSIX, LockFileEx on Windows). The kernel releases it when the holder ends, however it ends,
so a killed process never leaves a lock that blocks.

Beside it, `.<warehouse>.holder.json` says who holds it (PID, command, start time, host),
written atomically after the lock is taken and removed before it is released. It only
explains a refusal; it never decides one: a record left by a process that died is
overwritten by the next holder and not quoted in a message (its PID is gone).

A process that holds the lock may take it again (the `nyckeltal run` command holds it and the
Dagster job it starts takes it too): the hold is counted per process, not per thread.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from nyckeltal.errors import NyckeltalError

# What the holder of each command is doing, in a refusal message.
ACTIVITIES = {
    "run": "a refresh",
    "dagster": "a refresh",
    "load": "a load",
    "demo": "a demo load",
    "validate": "a validation",
}


class WarehouseBusy(NyckeltalError):
    """Another process writes to the warehouse and did not finish within the wait."""


@dataclass(frozen=True)
class Holder:
    """Who holds a warehouse's lock, as its holder record says."""

    pid: int
    command: str
    started_at: dt.datetime  # local time, with its offset
    host: str

    def activity(self) -> str:
        return ACTIVITIES.get(self.command.split()[0], f"`nyckeltal {self.command}`")

    def describe(self, now: dt.datetime | None = None) -> str:
        """ "a refresh started at 06:00 by PID 4242" (the date too when not today)."""
        now = now or dt.datetime.now().astimezone()
        started = self.started_at.astimezone(now.tzinfo)
        when = f"{started:%H:%M}" if started.date() == now.date() else f"{started:%Y-%m-%d %H:%M}"
        where = "" if self.host == socket.gethostname() else f" on host {self.host}"
        return f"{self.activity()} started at {when} by PID {self.pid}{where}"


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(f".{warehouse.name}.lock")


def holder_path(warehouse: Path) -> Path:
    return warehouse.with_name(f".{warehouse.name}.holder.json")


def display(path: Path) -> str:
    """The path as a user typed it: relative to the working directory when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would send CTRL_C_EVENT there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def read_holder(warehouse: Path) -> Holder | None:
    """The holder record, or None when there is none, it is unreadable, or its process
    (on this host) is gone: a stale record never names a holder."""
    try:
        record = json.loads(holder_path(warehouse).read_text(encoding="utf-8"))
        holder = Holder(
            pid=int(record["pid"]),
            command=str(record["command"]),
            started_at=dt.datetime.fromisoformat(str(record["started_at"])),
            host=str(record["host"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if holder.host == socket.gethostname() and not _pid_alive(holder.pid):
        return None
    return holder


def busy_message(warehouse: Path) -> str:
    """One line: who writes to the warehouse now (as far as its holder record tells)."""
    holder = read_holder(warehouse)
    who = holder.describe() if holder else "another process"
    return f"{who} is running on {display(warehouse)}"


def _write_holder(warehouse: Path, command: str) -> None:
    record = {
        "pid": os.getpid(),
        "command": command,
        "started_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": socket.gethostname(),
    }
    target = holder_path(warehouse)
    staging = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    staging.write_text(json.dumps(record) + "\n", encoding="utf-8")
    os.replace(staging, target)


def _remove_holder(warehouse: Path) -> None:
    target = holder_path(warehouse)
    try:
        if json.loads(target.read_text(encoding="utf-8")).get("pid") == os.getpid():
            target.unlink()
    except (OSError, ValueError, AttributeError):
        pass


@dataclass
class _Hold:
    lock: FileLock
    pid: int
    depth: int


_HOLDS: dict[str, _Hold] = {}
_HOLDS_GUARD = threading.Lock()


def _reenter(key: str) -> bool:
    with _HOLDS_GUARD:
        hold = _HOLDS.get(key)
        if hold is None or hold.pid != os.getpid():
            return False
        hold.depth += 1
        return True


@contextmanager
def hold(
    warehouse: Path,
    command: str,
    wait_seconds: float,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the warehouse's writer lock for the block. Waits up to `wait_seconds` for the
    current holder (0: not at all), telling `on_wait` once what it waits for; raises
    WarehouseBusy naming the holder when the lock is still taken then."""
    warehouse = Path(warehouse)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    key = os.path.realpath(lock_path(warehouse))
    if _reenter(key):
        try:
            yield
        finally:
            _release(key, warehouse)
        return
    lock = FileLock(key, thread_local=False)
    try:
        lock.acquire(blocking=False)
    except Timeout:
        if wait_seconds <= 0:
            raise WarehouseBusy(busy_message(warehouse)) from None
        if on_wait is not None:
            on_wait(f"waiting up to {wait_seconds:g} s: {busy_message(warehouse)}")
        try:
            lock.acquire(timeout=wait_seconds, poll_interval=0.1)
        except Timeout:
            raise WarehouseBusy(f"{busy_message(warehouse)} (waited {wait_seconds:g} s)") from None
    with _HOLDS_GUARD:
        _HOLDS[key] = _Hold(lock, os.getpid(), 1)
    try:
        _write_holder(warehouse, command)
    except BaseException:
        _release(key, warehouse)
        raise
    try:
        yield
    finally:
        _release(key, warehouse)


def _release(key: str, warehouse: Path) -> None:
    with _HOLDS_GUARD:
        hold = _HOLDS[key]
        hold.depth -= 1
        if hold.depth > 0:
            return
        del _HOLDS[key]
    try:
        _remove_holder(warehouse)
    finally:
        hold.lock.release()


# --------------------------------------------------------------------------- the command line


def add_wait_option(parser: Any) -> None:
    """`--wait SECONDS` on a command that writes the warehouse."""
    parser.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help="when another command writes to the warehouse, wait this long for it to finish "
        "(default: $NYCKELTAL_LOCK_WAIT_SECONDS or 60; 0: fail at once)",
    )


def print_waiting(line: str) -> None:
    """Say on stderr that a command waits for the lock."""
    print(line, file=sys.stderr, flush=True)
