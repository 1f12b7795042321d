"""Small helpers to write SQL for DuckDB safely."""

from __future__ import annotations

from nyckeltal.terminal import printable


def quote(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def first_line(error: BaseException) -> str:
    """The first line of a DuckDB error, without the SQL excerpt that follows it (at most 300
    characters, control characters escaped: it may quote the file)."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return printable(text if len(text) <= 300 else text[:297] + "...")
