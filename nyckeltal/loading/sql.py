"""Small helpers to write SQL for DuckDB safely."""

from __future__ import annotations


def quote(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def first_line(error: BaseException) -> str:
    """The first line of a DuckDB error, without the SQL excerpt that follows it."""
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
