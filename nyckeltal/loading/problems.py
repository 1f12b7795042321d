"""Problems found in the files of a load, and the error that reports them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from nyckeltal.errors import NyckeltalError
from nyckeltal.terminal import printable

# Offending rows shown per problem, and problems shown per report.
MAX_SAMPLES = 5
MAX_PROBLEMS = 100


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file: where, what, and the first offending rows."""

    file: str
    message: str
    columns: tuple[str, ...] = ()
    samples: tuple[str, ...] = ()

    def render(self) -> str:
        """The problem as report lines: `file, column c: message`, then one line per sample."""
        where = printable(self.file)
        if self.columns:
            label = "column" if len(self.columns) == 1 else "columns"
            where += f", {label} {', '.join(self.columns)}"
        return "\n".join([f"{where}: {self.message}", *(f"    {s}" for s in self.samples)])


class LoadError(NyckeltalError):
    """The files cannot be loaded; `str(error)` is the report, `problems` the details."""

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)

    @classmethod
    def from_problems(cls, directory: Path, problems: Sequence[Problem]) -> LoadError:
        """The error listing every problem (up to MAX_PROBLEMS) found in `directory`."""
        shown = problems[:MAX_PROBLEMS]
        lines = [
            f"{plural(len(problems), 'problem')} in {directory} "
            "(nothing was loaded, the warehouse is unchanged):",
            "",
        ]
        lines += [problem.render() for problem in shown]
        if len(problems) > len(shown):
            lines.append(f"... and {len(problems) - len(shown)} more problems")
        return cls("\n".join(lines), problems)


def plural(count: int, noun: str) -> str:
    """`1 row`, `3 rows`, `12,000 rows`."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def format_value(value: object) -> str:
    """A value as the report shows it: strings quoted (at most 60 characters, control
    characters escaped), null as `null`, dates in ISO format."""
    if value is None:
        return "null"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return "'" + printable(shown) + "'"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def format_pairs(names: Sequence[str], values: Sequence[object]) -> str:
    """`a='x', b=2` for parallel sequences of column names and values."""
    return ", ".join(
        f"{name}={format_value(value)}" for name, value in zip(names, values, strict=True)
    )
