"""What an exception means for the person running Nyckeltal: one line, and whether to retry.

Two kinds of failure are deterministic and common enough to name: a full disk (ENOSPC,
EDQUOT, however it reaches us: an OSError, a DuckDB or dbt message) and a damaged DuckDB
file (truncated, overwritten, not a database). Retrying either cannot help, so the daily
job fails at once, and every command prints `explain(error)` instead of a traceback.
Failures that can pass (a lock another process holds, a network hiccup) are `is_transient`.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

RESTORE_WAREHOUSE = "restore it or reload with `nyckeltal load`"
REPUBLISH = "publish it again with `nyckeltal run`"

_DISK_FULL_ERRNOS = {errno.ENOSPC: "No space left on device", errno.EDQUOT: "Disk quota exceeded"}
_DISK_FULL_TEXT = tuple(_DISK_FULL_ERRNOS.values())
# What DuckDB says of a file that is not (or no longer) a whole database.
_DAMAGED_MARKERS = (
    "not a valid duckdb database file",
    "could not read enough bytes",
    "corrupt database file",
    "database file is corrupted",
    "checksum mismatch",
    "block checksum",
    "failed to read database header",
)
# Failures a retry can fix: the DuckDB file locked by another process, I/O and network
# hiccups. Anything else (bad data, a failing dbt test, a SQL error) fails at once.
_TRANSIENT_MARKERS = (
    "could not set lock",
    "conflicting lock",
    "database is locked",
    "resource temporarily unavailable",
    "io error",
    "timed out",
    "timeout",
    "connection refused",
    "connection reset",
    "temporary failure",
    "broken pipe",
    "server closed the connection",
    "could not connect to server",
    "network is unreachable",
    "no route to host",
)
_QUOTED_FILE = re.compile(r'file "([^"]+)"')


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, its causes and contexts, and a wrapped driver error (SQLAlchemy's
    `orig`), each once."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        original = getattr(current, "orig", None)
        pending += [
            current.__cause__,
            current.__context__,
            original if isinstance(original, BaseException) else None,
        ]


def _texts(error: BaseException | str) -> list[str]:
    if isinstance(error, str):
        return [error]
    return [str(item) for item in _chain(error)]


def _named_file(text: str) -> Path | None:
    match = _QUOTED_FILE.search(text)
    return Path(match[1]) if match else None


def disk_full(error: BaseException | str, where: Path | None = None) -> str | None:
    """`the disk holding <file> is full (No space left on device)`, or None when `error`
    is not a full disk. `where`: the file to name when the error names none."""
    if not isinstance(error, str):
        for item in _chain(error):
            if isinstance(item, OSError) and item.errno in _DISK_FULL_ERRNOS:
                name = item.filename or where
                reason = _DISK_FULL_ERRNOS[item.errno]
                return f"the disk holding {name or 'the output'} is full ({reason})"
    for text in _texts(error):
        for reason in _DISK_FULL_TEXT:
            if reason.lower() in text.lower():
                name = _named_file(text) or where
                return f"the disk holding {name or 'the output'} is full ({reason})"
    return None


def _damage_reason(text: str) -> str:
    line = next((line for line in text.splitlines() if "error" in line.lower()), text)
    line = re.sub(r"^.*?\b\w+ Error:\s*", "", line.strip())
    if "not a valid duckdb database file" in line.lower():
        return "not a valid DuckDB database file"
    return _QUOTED_FILE.sub("file", line).replace(" from file:", ":").strip()


def damaged(
    error: BaseException | str,
    where: Path | None = None,
    remedies: Mapping[Path, str] | None = None,
) -> str | None:
    """`<file> is damaged (<DuckDB's reason>): <remedy>`, or None when `error` is not a
    damaged DuckDB file. The remedy is `remedies[file]`, else RESTORE_WAREHOUSE."""
    for text in _texts(error):
        lowered = text.lower()
        if not any(marker in lowered for marker in _DAMAGED_MARKERS):
            continue
        name = _named_file(text) or where
        remedy = RESTORE_WAREHOUSE
        for path, hint in (remedies or {}).items():
            if name is not None and Path(name).resolve() == Path(path).resolve():
                remedy = hint
        return f"{name or 'a DuckDB file'} is damaged ({_damage_reason(text)}): {remedy}"
    return None


def explain(
    error: BaseException | str,
    where: Path | None = None,
    remedies: Mapping[Path, str] | None = None,
) -> str | None:
    """The one-line message of a deterministic failure (a full disk, a damaged DuckDB
    file), or None for any other error."""
    return disk_full(error, where) or damaged(error, where, remedies)


def is_transient(error: BaseException | str) -> bool:
    """True when a retry can fix the failure: never for a full disk or a damaged file."""
    if explain(error) is not None:
        return False
    if not isinstance(error, str) and any(
        isinstance(item, TimeoutError | ConnectionError) for item in _chain(error)
    ):
        return True
    return any(marker in text.lower() for text in _texts(error) for marker in _TRANSIENT_MARKERS)
