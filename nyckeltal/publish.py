"""Publishing the marts: BI tools read a separate file that is replaced atomically.

dbt builds into the warehouse file, which DuckDB lets only one process write. BI tools never
open it; they read the PUBLISHED file (`settings.published_path`). Publishing copies every
table of the warehouse's `marts` schema, plus `marts.publication` (when, as of which date,
which run, how many rows per table), into a new DuckDB file in the same folder, checkpoints
and closes it, and `os.replace`s it over the published file:

- readers that already have the old file open keep reading the old snapshot (the old inode
  lives on until they close it); new connections see the new one;
- nothing is half-written: a failure before the replace leaves the published file untouched
  and removes the temporary file;
- a run that fails validation never calls this.

Views of the `marts` schema are not copied (they would reference the warehouse).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from nyckeltal.errors import NyckeltalError

MARTS_SCHEMA = "marts"
PUBLICATION_TABLE = "publication"
TEMPORARY_PREFIX = ".nyckeltal_publish_"


class PublishError(NyckeltalError):
    """The marts could not be published; the previously published file is unchanged."""


@dataclass(frozen=True)
class Publication:
    path: Path
    run_id: str
    published_at: dt.datetime
    as_of_date: dt.date | None
    row_counts: dict[str, int]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _mart_tables(connection: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = connection.execute(
        "select table_name from information_schema.tables where table_catalog = ? "
        "and table_schema = ? and table_type = 'BASE TABLE' and table_name <> ? "
        "order by table_name",
        [catalog, MARTS_SCHEMA, PUBLICATION_TABLE],
    ).fetchall()
    return [name for (name,) in rows]


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def publish(
    warehouse: Path,
    published: Path,
    as_of_date: dt.date | None = None,
    run_id: str | None = None,
) -> Publication:
    """Copy the marts of `warehouse` into a new file and atomically replace `published`."""
    if not warehouse.exists():
        raise PublishError(f"no warehouse at {warehouse}")
    published.parent.mkdir(parents=True, exist_ok=True)
    run_id = run_id or uuid.uuid4().hex
    published_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    temporary = published.with_name(f"{TEMPORARY_PREFIX}{uuid.uuid4().hex}.duckdb")
    counts: dict[str, int] = {}
    try:
        with duckdb.connect(str(temporary)) as connection:
            connection.execute(f"attach {_literal(str(warehouse))} as source (read_only)")
            tables = _mart_tables(connection, "source")
            if not tables:
                raise PublishError(f"{warehouse} has no tables in schema {MARTS_SCHEMA}")
            connection.execute(f"create schema {MARTS_SCHEMA}")
            for table in tables:
                name = f"{MARTS_SCHEMA}.{_quote(table)}"
                connection.execute(f"create table {name} as select * from source.{name}")
                row = connection.execute(f"select count(*) from {name}").fetchone()
                counts[table] = int(row[0]) if row else 0
            connection.execute("detach source")
            connection.execute(
                f"create table {MARTS_SCHEMA}.{PUBLICATION_TABLE} (run_id varchar not null, "
                "published_at timestamp not null, as_of_date date, table_name varchar not null, "
                "row_count bigint not null)"
            )
            connection.executemany(
                f"insert into {MARTS_SCHEMA}.{PUBLICATION_TABLE} values (?, ?, ?, ?, ?)",
                [[run_id, published_at, as_of_date, t, n] for t, n in counts.items()],
            )
            connection.execute("checkpoint")
        os.replace(temporary, published)
    except BaseException as error:
        _remove(temporary)
        if isinstance(error, duckdb.Error):
            raise PublishError(f"publishing the marts failed: {error}") from error
        raise
    return Publication(published, run_id, published_at, as_of_date, counts)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
