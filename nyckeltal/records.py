"""Append-only JSON-lines files (the alert file): whole lines or nothing, damage skipped.

A record is appended with ONE `os.write` on an `O_APPEND` descriptor and synced; when the
write or the sync fails (a full disk), the file is truncated back to its size before, so a
reader never finds half a record. A line already damaged (a crash of an older version, an
edit by hand) is skipped with a warning naming its line number, and the next record starts
on a line of its own.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def append_lines(path: Path, lines: Sequence[str]) -> None:
    """Append `lines` (each without its newline) to `path`, creating it and its folder:
    all of them or, when the disk is full, none."""
    if not lines:
        return
    data = "".join(f"{line}\n" for line in lines).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(descriptor).st_size
        if size and os.pread(descriptor, 1, size - 1) != b"\n":
            data = b"\n" + data  # the damaged last line stays alone on its line
        try:
            written = os.write(descriptor, data)
            if written != len(data):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
            os.fsync(descriptor)
        except OSError as error:
            with contextlib.suppress(OSError):  # a device (/dev/full) cannot be truncated
                os.ftruncate(descriptor, size)
            raise OSError(error.errno, error.strerror, str(path)) from error
    finally:
        os.close(descriptor)


def append_records(path: Path, records: Sequence[Mapping[str, Any]]) -> None:
    """Append one JSON object per line (see append_lines)."""
    append_lines(path, [json.dumps(record, sort_keys=True, default=str) for record in records])


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON objects of a JSON-lines file, in order (none if it is missing). A line that
    is not a JSON object is skipped with a warning naming the file and the line. Only a
    regular file is read (a device such as /dev/full would never end)."""
    if not path.is_file():
        return
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                record = None
            if not isinstance(record, dict):
                logger.warning(f"{path} line {number} is damaged (not a JSON object): skipped")
                continue
            yield record
