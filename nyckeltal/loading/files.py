"""Which file of the load directory holds which contract table."""

from __future__ import annotations

import difflib
from pathlib import Path

from nyckeltal.contract import TABLES, Table
from nyckeltal.loading.problems import LoadError, Problem

FORMATS = (".csv", ".parquet")


def discover(directory: Path) -> tuple[dict[str, Path], list[Problem]]:
    """Map each contract table (by key) to its file, with the problems of the folder itself.

    Every non-hidden file must be `<system>__<table>.csv` or `.parquet` of a contract table,
    each table needs exactly one file. Sub-folders and hidden files are ignored.
    """
    if not directory.is_dir():
        raise LoadError(f"{directory} is not a folder (expected a folder of data files)")
    by_stem = {table.file_stem: table for table in TABLES}
    found: dict[str, list[Path]] = {}
    problems: list[Problem] = []
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        table = by_stem.get(path.stem) if path.suffix.lower() in FORMATS else None
        if table is None:
            problems.append(_unknown_file(path, by_stem))
        else:
            found.setdefault(table.key, []).append(path)
    files: dict[str, Path] = {}
    for table in TABLES:
        paths = found.get(table.key, [])
        if not paths:
            problems.append(_missing_file(table))
        elif len(paths) > 1:
            names = " and ".join(path.name for path in paths)
            problems.append(Problem(names, f"two files for {table.key}, keep one"))
        else:
            files[table.key] = paths[0]
    return files, problems


def _unknown_file(path: Path, by_stem: dict[str, Table]) -> Problem:
    names = [f"{stem}{suffix}" for stem in by_stem for suffix in FORMATS]
    guess = difflib.get_close_matches(path.name, names, n=1)
    hint = f" (did you mean {guess[0]}?)" if guess else ""
    return Problem(
        path.name,
        f"matches no contract table: files must be named <system>__<table>.csv or .parquet{hint}",
    )


def _missing_file(table: Table) -> Problem:
    return Problem(
        f"{table.file_stem}.csv|.parquet",
        f"missing: {table.key} is required (every contract table needs a file)",
    )
