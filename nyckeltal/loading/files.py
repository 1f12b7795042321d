"""Which file of the load directory holds which contract table."""

from __future__ import annotations

import difflib
import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path

from nyckeltal.contract import TABLES, Table
from nyckeltal.loading.absent import MINIMUM, require_minimum
from nyckeltal.loading.problems import LoadError, Problem

FORMATS = (".csv", ".parquet")


def discover(
    directory: Path, deferred: frozenset[str] = frozenset()
) -> tuple[dict[str, Path], list[Problem]]:
    """Map each contract table (by key) to its file, with the problems of the folder itself.

    Every non-hidden file must be `<system>__<table>.csv` or `.parquet` of a contract table,
    each table at most one file, `crm.customers` one unless a vendor source maps it
    (`deferred`, `absent.require_minimum`); a table
    without a file is absent (`nyckeltal.loading.absent`). Hidden files and sub-folders not
    named like a table are ignored. Anything named like a table is refused, unopened, when it
    is not a regular file inside the folder (`refusal`): a link leading out, a folder, a FIFO,
    a device.
    """
    if not directory.is_dir():
        raise LoadError(f"{directory} is not a folder (expected a folder of data files)")
    by_stem = {table.file_stem: table for table in TABLES}
    found: dict[str, list[Path]] = {}
    problems: list[Problem] = []
    refused_tables: set[str] = set()
    for path in sorted(directory.iterdir()):
        table = by_stem.get(path.stem) if path.suffix.lower() in FORMATS else None
        if path.name.startswith(".") or (table is None and not path.is_file()):
            continue
        refused = refusal(directory, path) if table else None
        if refused and table:
            problems.append(refused)
            refused_tables.add(table.key)
        elif table is None:
            problems.append(_unknown_file(path, by_stem))
        else:
            found.setdefault(table.key, []).append(path)
    files: dict[str, Path] = {}
    for table in TABLES:
        paths = found.get(table.key, [])
        if len(paths) > 1:
            names = " and ".join(path.name for path in paths)
            problems.append(Problem(names, f"two files for {table.key}, keep one"))
        elif paths:
            files[table.key] = paths[0]
    if MINIMUM not in deferred:
        require_minimum(directory, files, refused=MINIMUM in refused_tables)
    return files, problems


def not_named(files: Mapping[str, Path], problems: Sequence[Problem]) -> set[str]:
    """The contract tables (keys) the folder has no file for: absent, unlike a table whose
    file was refused (a problem names it)."""
    named = {Path(problem.file).stem for problem in problems}
    return {t.key for t in TABLES if t.key not in files and t.file_stem not in named}


def refusal(directory: Path, path: Path) -> Problem | None:
    """Why `path` is not read (None: it may be): a link leading out of `directory`, or not a
    regular file (a folder, a FIFO, a device, a socket). Nothing is opened to find out."""
    if path.is_symlink():
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(Path(os.path.realpath(directory))):
            return Problem(path.name, f"is a link to a file outside {directory}: refused")
    try:
        mode = path.stat().st_mode  # of the link's target: inside the folder
    except OSError:
        return Problem(path.name, "is a broken link or cannot be read: refused")
    if not stat.S_ISREG(mode):
        return Problem(path.name, f"is {_kind(mode)}, not a regular file: refused")
    return None


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a socket" if stat.S_ISSOCK(mode) else "not a file"


def _unknown_file(path: Path, by_stem: dict[str, Table]) -> Problem:
    names = [f"{stem}{suffix}" for stem in by_stem for suffix in FORMATS]
    guess = difflib.get_close_matches(path.name, names, n=1)
    hint = f" (did you mean {guess[0]}?)" if guess else ""
    return Problem(
        path.name,
        f"matches no contract table: files must be named <system>__<table>.csv or .parquet{hint}",
    )
