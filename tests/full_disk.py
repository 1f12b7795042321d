"""A full disk for tests: a small tmpfs mounted in the test's folder and filled up.

Mounting needs root (CI runs the tests as root on Linux); where `mount` is refused,
`mounted_full_disk` yields None and the caller checks the same behaviour another way
(`/dev/full`, or an injected ENOSPC), so no test is skipped.
"""

from __future__ import annotations

import errno
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def fill(folder: Path) -> None:
    """Write a filler file in `folder` until its disk is full."""
    with open(folder / "filler", "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError as error:
            assert error.errno == errno.ENOSPC, error


@contextmanager
def mounted_full_disk(folder: Path, size: str = "1m") -> Iterator[Path | None]:
    """A tmpfs of `size` mounted on `folder` (None when mounting is refused); the caller
    fills it (`fill`) once its own files are in place. Unmounted afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        yield None
        return
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
