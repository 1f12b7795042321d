"""Publishing the marts: BI tools read copies that are replaced atomically, never the warehouse.

dbt builds into the warehouse file, which DuckDB lets only one process write. BI tools read
what publishing makes of its `marts` schema, in up to three places, all carrying the same run
id in their `publication` record (when, as of which date, which run, how many rows per table):

1. **The DuckDB snapshot** (`RunContext.published`, always): every table of `marts` plus
   `marts.publication`, with the dbt descriptions as table and column comments, written to a
   new file in the same folder, checkpointed, closed and `os.replace`d over the published
   file. Readers that already have the old file open keep reading the old snapshot (the old
   inode lives on until they close it); new connections see the new one.
2. **Parquet** (when a folder is given): `<folder>/build_<time>_<run>/` holds one
   `<mart>.parquet` per mart and `manifest.json` (run id, as-of date, row counts, column
   descriptions); it is written in full under a temporary name, renamed when everything else
   is ready, and then the symlink `<folder>/current` is switched to it with `os.replace`.
   The two previous builds are kept, so a reader that resolved `current` a moment ago can
   still open its files.
3. **PostgreSQL** (when a target is given): every mart in schema `marts` of a real server, in
   ONE transaction: each table's rows are deleted and the new ones COPYed in (CSV written by
   Arrow from the snapshot, in batches), then `marts.publication` is replaced. DELETE, not
   TRUNCATE and not a schema swap, because it is the MVCC-safe way: readers never wait and
   never see a mix, whatever their isolation level, and they take no lock the publisher
   waits for. TRUNCATE (like DROP/RENAME of a table) is not MVCC-safe: a REPEATABLE READ
   reader whose snapshot predates it would find the table empty, and its ACCESS EXCLUSIVE
   lock queues every new reader behind the longest running query. The price is dead rows
   for autovacuum, negligible at mart sizes. Only a structural change (a mart added, dropped,
   or with other columns or types) runs DDL, inside the same transaction. A read-only role
   (`nyckeltal_reader` by default) gets USAGE on `marts` and SELECT on its tables, nothing
   else; the dbt descriptions become `comment on table/column`.

The order makes a failure harmless: the snapshot file and the Parquet build are prepared
under temporary names, the PostgreSQL transaction is loaded, and only then are the PostgreSQL
transaction committed, the file replaced and the symlink switched (milliseconds apart).
Anything that fails before the commit (an exception, or the process killed: the server rolls
an interrupted transaction back) leaves all three targets at the previous publication, and the
next run removes the leftovers. One publisher at a time: a lock file beside the published file
and a PostgreSQL advisory lock serialise them. A run that fails validation never calls this.

Views of the `marts` schema are not copied (they would reference the warehouse).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import yaml
from filelock import FileLock

from nyckeltal.errors import NyckeltalError
from nyckeltal.loading.sql import literal, quote

if TYPE_CHECKING:
    import psycopg

MARTS_SCHEMA = "marts"
PUBLICATION_TABLE = "publication"
TEMPORARY_PREFIX = ".nyckeltal_publish_"
PARQUET_CURRENT = "current"
PARQUET_MANIFEST = "manifest.json"
PARQUET_BUILD_PREFIX = "build_"
PARQUET_KEEP_PREVIOUS = 2
COPY_BATCH_ROWS = 100_000
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PublishError(NyckeltalError):
    """The marts could not be published; the previous publication is unchanged."""


@dataclass(frozen=True)
class MartDoc:
    """The dbt description of a mart and of its columns."""

    description: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PostgresTarget:
    """Where and how the marts are published to PostgreSQL."""

    url: str  # a libpq connection string or URL of a role that may create in the database
    schema: str = MARTS_SCHEMA
    reader_role: str | None = "nyckeltal_reader"
    reader_password: str | None = None  # None: the reader role cannot log in (a group role)

    def __post_init__(self) -> None:
        for name in (self.schema, self.reader_role):
            if name is not None and not IDENTIFIER.match(name):
                raise PublishError(
                    f"{name!r} is not a plain PostgreSQL name (lower case, digits, _)"
                )


@dataclass(frozen=True)
class Publication:
    path: Path
    run_id: str
    published_at: dt.datetime
    as_of_date: dt.date | None
    row_counts: dict[str, int]
    parquet: Path | None = None  # the build folder `current` points to
    postgres: bool = False


def _mart_tables(connection: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = connection.execute(
        "select table_name from information_schema.tables where table_catalog = ? "
        "and table_schema = ? and table_type = 'BASE TABLE' and table_name <> ? "
        "order by table_name",
        [catalog, MARTS_SCHEMA, PUBLICATION_TABLE],
    ).fetchall()
    return [name for (name,) in rows]


def mart_docs(project_dir: Path) -> dict[str, MartDoc]:
    """The descriptions of the models under models/marts, from their YAML files."""
    docs: dict[str, MartDoc] = {}
    for path in sorted((project_dir / "models" / "marts").rglob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in content.get("models") or []:
            columns = {
                str(column["name"]): " ".join(str(column.get("description") or "").split())
                for column in model.get("columns") or []
            }
            description = " ".join(str(model.get("description") or "").split())
            docs[str(model["name"])] = MartDoc(description, columns)
    return docs


PUBLICATION_DOC = MartDoc(
    "What is published: one row per mart of the current publication (the same run id in "
    "every row).",
    {
        "run_id": "The run that published the marts.",
        "published_at": "When they were published (UTC).",
        "as_of_date": "The as-of date of the build (the last day of data counted).",
        "table_name": "The mart.",
        "row_count": "Its rows in this publication.",
        "reporting_currency": "The currency of every money value of the marts (ISO 4217 code; "
        "kpi_scorecard.currency_code names it on money rows).",
    },
)


# --------------------------------------------------------------------------- the snapshot


def _remove_file(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


@contextmanager
def _publisher_lock(published: Path) -> Iterator[None]:
    """One publisher of `published` at a time, waiting for the current one (a portable file
    lock: flock on POSIX, LockFileEx on Windows, released by the kernel if the process dies)."""
    with FileLock(published.with_name(f".{published.name}.lock"), thread_local=False):
        yield


def _temporary_files(published: Path) -> list[Path]:
    return sorted(published.parent.glob(f"{TEMPORARY_PREFIX}{published.stem}_*"))


def _comment_duckdb(
    connection: duckdb.DuckDBPyConnection, table: str, doc: MartDoc, columns: list[str]
) -> None:
    name = f"{MARTS_SCHEMA}.{quote(table)}"
    if doc.description:
        connection.execute(f"comment on table {name} is {literal(doc.description)}")
    for column in columns:
        if doc.columns.get(column):
            connection.execute(
                f"comment on column {name}.{quote(column)} is {literal(doc.columns[column])}"
            )


def _columns(connection: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [
        (str(name), str(data_type))
        for name, data_type in connection.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [MARTS_SCHEMA, table],
        ).fetchall()
    ]


# --------------------------------------------------------------------------- Parquet


def parquet_builds(folder: Path) -> list[Path]:
    """The complete Parquet builds in `folder`, oldest first."""
    return sorted(path for path in folder.glob(f"{PARQUET_BUILD_PREFIX}*") if path.is_dir())


def _write_parquet(
    connection: duckdb.DuckDBPyConnection,
    folder: Path,
    tables: list[str],
    manifest: dict[str, Any],
    build_name: str,
) -> Path:
    """Write every mart and the manifest into a temporary folder (`_switch_current` gives it
    its build name, so a build folder is always a publication that became current)."""
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".tmp_{build_name}"
    temporary.mkdir()
    for table in tables:
        target = temporary / f"{table}.parquet"
        connection.execute(
            f"copy {MARTS_SCHEMA}.{quote(table)} to {literal(str(target))} "
            "(format parquet, compression zstd)"
        )
    (temporary / PARQUET_MANIFEST).write_text(
        json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8"
    )
    return temporary


def _switch_current(folder: Path, temporary: Path) -> Path:
    build = folder / temporary.name.removeprefix(".tmp_")
    os.rename(temporary, build)
    link = folder / f".tmp_{PARQUET_CURRENT}_{uuid.uuid4().hex}"
    os.symlink(build.name, link)
    os.replace(link, folder / PARQUET_CURRENT)
    return build


def _clean_parquet(folder: Path) -> None:
    """Remove unfinished builds and all but the current and the previous complete builds."""
    if not folder.is_dir():
        return
    for leftover in folder.glob(".tmp_*"):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
    current = (folder / PARQUET_CURRENT).resolve()
    previous = [build for build in parquet_builds(folder) if build.resolve() != current]
    for build in previous[: max(len(previous) - PARQUET_KEEP_PREVIOUS, 0)]:
        shutil.rmtree(build, ignore_errors=True)


# --------------------------------------------------------------------------- PostgreSQL

# DuckDB type -> PostgreSQL type, spelled as PostgreSQL's format_type() spells it.
POSTGRES_TYPES = {
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric(20,0)",
    "HUGEINT": "numeric(39,0)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "DATE": "date",
    "TIME": "time without time zone",
    "TIMESTAMP": "timestamp without time zone",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
    "UUID": "uuid",
}


def postgres_type(duckdb_type: str) -> str:
    decimal = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", duckdb_type.replace(" ", ""))
    if decimal:
        return f"numeric({decimal.group(1)},{decimal.group(2)})"
    if duckdb_type in POSTGRES_TYPES:
        return POSTGRES_TYPES[duckdb_type]
    raise PublishError(f"cannot publish a {duckdb_type} column to PostgreSQL")


def _pg_columns(cursor: psycopg.Cursor[Any], schema: str, table: str) -> list[tuple[str, str]]:
    cursor.execute(
        "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a "
        "join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relname = %s and c.relkind = 'r' and a.attnum > 0 "
        "and not a.attisdropped order by a.attnum",
        [schema, table],
    )
    return [(str(name), str(data_type)) for name, data_type in cursor.fetchall()]


def _pg_tables(cursor: psycopg.Cursor[Any], schema: str) -> list[str]:
    cursor.execute(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relkind in ('r', 'p') order by 1",
        [schema],
    )
    return [str(name) for (name,) in cursor.fetchall()]


def _pg_prepare_table(
    cursor: psycopg.Cursor[Any],
    target: PostgresTarget,
    table: str,
    columns: list[tuple[str, str]],
) -> None:
    """Make `schema.table` an empty table of these columns (in the open transaction)."""
    from psycopg import sql

    name = sql.Identifier(target.schema, table)
    existing = _pg_columns(cursor, target.schema, table)
    if existing == columns:
        cursor.execute(sql.SQL("delete from {}").format(name))
        return
    if existing:  # a structural change: the only case that takes an exclusive lock
        cursor.execute(sql.SQL("drop table {}").format(name))
    cursor.execute(
        sql.SQL("create table {} ({})").format(
            name,
            sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(column), sql.SQL(data_type))
                for column, data_type in columns
            ),
        )
    )
    if target.reader_role:
        cursor.execute(
            sql.SQL("grant select on table {} to {}").format(
                name, sql.Identifier(target.reader_role)
            )
        )


def _pg_comment(
    cursor: psycopg.Cursor[Any], schema: str, table: str, doc: MartDoc, columns: list[str]
) -> None:
    """Set the table and column comments that differ (COMMENT takes no lock readers need)."""
    from psycopg import sql

    cursor.execute(
        "select obj_description(c.oid, 'pg_class'), coalesce(json_object_agg(a.attname, "
        "col_description(c.oid, a.attnum)) filter (where a.attnum > 0), '{}'::json) "
        "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 "
        "and not a.attisdropped where n.nspname = %s and c.relname = %s group by c.oid",
        [schema, table],
    )
    row = cursor.fetchone()
    table_comment, column_comments = (row[0], row[1]) if row else (None, {})
    name = sql.Identifier(schema, table)
    if doc.description and table_comment != doc.description:
        cursor.execute(
            sql.SQL("comment on table {} is {}").format(name, sql.Literal(doc.description))
        )
    for column in columns:
        wanted = doc.columns.get(column)
        if wanted and column_comments.get(column) != wanted:
            cursor.execute(
                sql.SQL("comment on column {}.{} is {}").format(
                    name, sql.Identifier(column), sql.Literal(wanted)
                )
            )


def _pg_copy(
    cursor: psycopg.Cursor[Any],
    source: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    columns: list[str],
) -> None:
    """COPY a mart from the snapshot: Arrow record batches written as CSV in memory."""
    import pyarrow.csv
    from psycopg import sql

    statement = sql.SQL("copy {} ({}) from stdin (format csv)").format(
        sql.Identifier(schema, table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    reader = source.execute(f"select * from {MARTS_SCHEMA}.{quote(table)}").to_arrow_reader(
        COPY_BATCH_ROWS
    )
    options = pyarrow.csv.WriteOptions(include_header=False)
    with cursor.copy(statement) as copy:
        for batch in reader:
            buffer = io.BytesIO()
            pyarrow.csv.write_csv(batch, buffer, options)
            copy.write(buffer.getbuffer())


def _pg_reader_role(cursor: psycopg.Cursor[Any], target: PostgresTarget) -> None:
    """Create the read-only role if needed; it may read the marts schema and nothing else."""
    from psycopg import sql

    if not target.reader_role:
        return
    role = sql.Identifier(target.reader_role)
    cursor.execute(
        "select rolsuper or rolcreaterole or rolcreatedb or rolreplication or rolbypassrls "
        "from pg_roles where rolname = %s",
        [target.reader_role],
    )
    existing = cursor.fetchone()
    if existing and existing[0]:
        raise PublishError(
            f"the reader role {target.reader_role} may do more than read (superuser, "
            "createrole, createdb, replication or bypassrls): choose another name"
        )
    login = (
        sql.SQL("login password {}").format(sql.Literal(target.reader_password))
        if target.reader_password
        else sql.SQL("nologin")
    )
    verb = sql.SQL("alter role" if existing else "create role")
    cursor.execute(sql.SQL("{} {} {}").format(verb, role, login))
    # Belt and braces for BI tools: read-only transactions, the marts found without a prefix.
    cursor.execute(sql.SQL("alter role {} set default_transaction_read_only = on").format(role))
    cursor.execute(
        sql.SQL("alter role {} set search_path = {}").format(role, sql.Identifier(target.schema))
    )
    cursor.execute(
        sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(target.schema), role)
    )


def _pg_load(
    source: duckdb.DuckDBPyConnection,
    target: PostgresTarget,
    tables: list[str],
    docs: Mapping[str, MartDoc],
    publication_rows: list[tuple[Any, ...]],
) -> psycopg.Connection[Any]:
    """Load every mart in one open transaction; the caller commits (or closes: rollback)."""
    import psycopg
    from psycopg import sql

    try:
        connection = psycopg.connect(target.url, application_name="nyckeltal publish")
    except psycopg.Error as error:
        raise PublishError(f"cannot connect to the PostgreSQL publish target: {error}") from error
    try:
        schema = sql.Identifier(target.schema)
        with connection.cursor() as cursor:
            cursor.execute(
                "select pg_advisory_xact_lock(hashtext(%s))", [f"nyckeltal publish {target.schema}"]
            )
            cursor.execute(sql.SQL("create schema if not exists {}").format(schema))
            _pg_reader_role(cursor, target)
            wanted = [*tables, PUBLICATION_TABLE]
            for stale in sorted(set(_pg_tables(cursor, target.schema)) - set(wanted)):
                cursor.execute(
                    sql.SQL("drop table {}").format(sql.Identifier(target.schema, stale))
                )
            for table in wanted:
                duck_columns = _columns(source, table)
                columns = [(name, postgres_type(kind)) for name, kind in duck_columns]
                _pg_prepare_table(cursor, target, table, columns)
                names = [name for name, _ in columns]
                if table == PUBLICATION_TABLE:
                    with cursor.copy(
                        sql.SQL("copy {} ({}) from stdin").format(
                            sql.Identifier(target.schema, table),
                            sql.SQL(", ").join(map(sql.Identifier, names)),
                        )
                    ) as copy:
                        for row in publication_rows:
                            copy.write_row(row)
                else:
                    _pg_copy(cursor, source, target.schema, table, names)
                doc = PUBLICATION_DOC if table == PUBLICATION_TABLE else docs.get(table, MartDoc())
                _pg_comment(cursor, target.schema, table, doc, names)
    except BaseException as error:
        connection.close()  # the server rolls the transaction back
        if isinstance(error, psycopg.Error):
            raise PublishError(f"publishing the marts to PostgreSQL failed: {error}") from error
        raise
    return connection


# --------------------------------------------------------------------------- publish


def _build_name(published_at: dt.datetime, run_id: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", run_id)[:64]
    return f"{PARQUET_BUILD_PREFIX}{published_at:%Y%m%dT%H%M%S%f}_{safe}"


def publish(
    warehouse: Path,
    published: Path,
    as_of_date: dt.date | None = None,
    run_id: str | None = None,
    *,
    parquet_dir: Path | None = None,
    postgres: PostgresTarget | None = None,
    docs: Mapping[str, MartDoc] | None = None,
    reporting_currency: str | None = None,
) -> Publication:
    """Copy the marts of `warehouse` into a new file and atomically replace `published`;
    also switch the Parquet folder `parquet_dir` and the PostgreSQL `postgres` target to
    them, when given. `docs` (see `mart_docs`) become table and column comments;
    `reporting_currency` is recorded in every `publication` row."""
    if not warehouse.exists():
        raise PublishError(f"no warehouse at {warehouse}")
    published.parent.mkdir(parents=True, exist_ok=True)
    docs = docs or {}
    run_id = run_id or uuid.uuid4().hex
    published_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with _publisher_lock(published):
        for leftover in _temporary_files(published):
            leftover.unlink(missing_ok=True)  # of a publisher that was killed
        if parquet_dir is not None:
            _clean_parquet(parquet_dir)
        temporary = published.with_name(
            f"{TEMPORARY_PREFIX}{published.stem}_{uuid.uuid4().hex}.duckdb"
        )
        counts: dict[str, int] = {}
        build: Path | None = None
        pg_connection: psycopg.Connection[Any] | None = None
        try:
            with duckdb.connect(str(temporary)) as connection:
                connection.execute(f"attach {literal(str(warehouse))} as source (read_only)")
                tables = _mart_tables(connection, "source")
                if not tables:
                    raise PublishError(f"{warehouse} has no tables in schema {MARTS_SCHEMA}")
                connection.execute(f"create schema {MARTS_SCHEMA}")
                for table in tables:
                    name = f"{MARTS_SCHEMA}.{quote(table)}"
                    connection.execute(f"create table {name} as select * from source.{name}")
                    row = connection.execute(f"select count(*) from {name}").fetchone()
                    counts[table] = int(row[0]) if row else 0
                connection.execute("detach source")
                connection.execute(
                    f"create table {MARTS_SCHEMA}.{PUBLICATION_TABLE} (run_id varchar not null, "
                    "published_at timestamp not null, as_of_date date, "
                    "table_name varchar not null, row_count bigint not null, "
                    "reporting_currency varchar)"
                )
                publication_rows = [
                    (run_id, published_at, as_of_date, t, n, reporting_currency)
                    for t, n in counts.items()
                ]
                connection.executemany(
                    f"insert into {MARTS_SCHEMA}.{PUBLICATION_TABLE} values (?, ?, ?, ?, ?, ?)",
                    [list(row) for row in publication_rows],
                )
                columns = {table: _columns(connection, table) for table in tables}
                for table in tables:
                    names = [name for name, _ in columns[table]]
                    _comment_duckdb(connection, table, docs.get(table, MartDoc()), names)
                _comment_duckdb(
                    connection, PUBLICATION_TABLE, PUBLICATION_DOC, list(PUBLICATION_DOC.columns)
                )
                if parquet_dir is not None:
                    manifest = {
                        "run_id": run_id,
                        "published_at": published_at.isoformat(),
                        "as_of_date": as_of_date.isoformat() if as_of_date else None,
                        "reporting_currency": reporting_currency,
                        "tables": {
                            table: {
                                "file": f"{table}.parquet",
                                "row_count": counts[table],
                                "description": docs.get(table, MartDoc()).description,
                                "columns": [
                                    {
                                        "name": name,
                                        "type": kind,
                                        "description": docs.get(table, MartDoc()).columns.get(
                                            name, ""
                                        ),
                                    }
                                    for name, kind in columns[table]
                                ],
                            }
                            for table in tables
                        },
                    }
                    build = _write_parquet(
                        connection, parquet_dir, tables, manifest, _build_name(published_at, run_id)
                    )
                if postgres is not None:
                    pg_connection = _pg_load(connection, postgres, tables, docs, publication_rows)
                connection.execute("checkpoint")
            # Everything is prepared; switch the three targets, PostgreSQL first (the only
            # step that can still fail for reasons of its own).
            if pg_connection is not None:
                try:
                    pg_connection.commit()
                except Exception as error:
                    raise PublishError(
                        f"committing the PostgreSQL publication failed: {error}"
                    ) from error
            os.replace(temporary, published)
        except BaseException as error:
            _remove_file(temporary)
            if build is not None:
                shutil.rmtree(build, ignore_errors=True)
            if isinstance(error, duckdb.Error):
                raise PublishError(f"publishing the marts failed: {error}") from error
            raise
        finally:
            if pg_connection is not None:
                pg_connection.close()
        if build is not None and parquet_dir is not None:
            build = _switch_current(parquet_dir, build)
            _clean_parquet(parquet_dir)
    return Publication(
        published, run_id, published_at, as_of_date, counts, build, postgres is not None
    )
