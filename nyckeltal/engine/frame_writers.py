"""Write one computed table (an Arrow table: the forecast tables of the refresh,
nyckeltal.insights.foresight) to PostgreSQL and Spark, replacing the previous one at once.

- postgres: COPY into a new table, then drop the old one and rename the new one, in ONE
  transaction: readers see the old table or the new one;
- spark: Parquet in a new folder beside `<spark_dir>/tables/<schema>.db/<table>`, swapped in
  by directory renames (`swap_folder`, as the raw tables are), read by dbt from the folder
  (macros/foresight_relation.sql) and by the run like dbt's own tables.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from nyckeltal.loading.sql import quote

if TYPE_CHECKING:
    import pyarrow as pa


def postgres_type(kind: pa.DataType) -> str:
    """The PostgreSQL type of an Arrow column type."""
    import pyarrow as pa

    checks = (
        (pa.types.is_boolean, "boolean"),
        (pa.types.is_int8, "smallint"),
        (pa.types.is_int16, "smallint"),
        (pa.types.is_int32, "integer"),
        (pa.types.is_integer, "bigint"),
        (pa.types.is_floating, "double precision"),
        (pa.types.is_date, "date"),
        (pa.types.is_string, "text"),
        (pa.types.is_large_string, "text"),
    )
    for check, name in checks:
        if check(kind):
            return name
    if pa.types.is_decimal(kind):
        return f"numeric({kind.precision},{kind.scale})"
    if pa.types.is_timestamp(kind):
        return "timestamp with time zone" if kind.tz else "timestamp"
    raise ValueError(f"no PostgreSQL type for the Arrow type {kind}")


def write_postgres_table(conninfo: str, schema: str, name: str, frame: pa.Table) -> None:
    """Replace `schema.name` in the PostgreSQL server of `conninfo` with `frame`, in one
    transaction."""
    import psycopg

    relation = f"{quote(schema)}.{quote(name)}"
    fresh = f"{quote(schema)}.{quote(f'{name}__new')}"
    columns = ", ".join(
        f"{quote(field.name)} {postgres_type(field.type)}" for field in frame.schema
    )
    names = ", ".join(quote(field.name) for field in frame.schema)
    with psycopg.connect(conninfo) as connection:  # commits on leaving, rolls back on error
        connection.execute(f"create schema if not exists {quote(schema)}")
        connection.execute(f"drop table if exists {fresh}")
        connection.execute(f"create table {fresh} ({columns})")
        with connection.cursor().copy(f"copy {fresh} ({names}) from stdin") as copy:
            for row in zip(*(column.to_pylist() for column in frame.columns), strict=True):
                copy.write_row(row)
        connection.execute(f"drop table if exists {relation}")
        connection.execute(f"alter table {fresh} rename to {quote(name)}")


def write_parquet_table(folder: Path, frame: pa.Table) -> None:
    """Replace the Parquet table folder `folder` with `frame` (one file)."""
    import pyarrow.parquet as pq

    folder.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{folder.name}-new-", dir=folder.parent))
    try:
        pq.write_table(frame, fresh / "part-0.parquet")
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    swap_folder(fresh, folder)


def swap_folder(fresh: Path, folder: Path) -> None:
    """Put the folder `fresh` in the place of `folder` by two renames, then remove the old
    one. Between the renames a reader finds no folder (Spark has no atomic swap of a table's
    directory); if the second rename fails, the old folder is put back and `fresh` removed,
    so the table is never left missing."""
    previous = folder.with_name(f".{folder.name}-old-{os.getpid()}")
    had_previous = folder.exists()
    if had_previous:
        os.replace(folder, previous)
    try:
        os.replace(fresh, folder)
    except BaseException:
        if had_previous:
            os.replace(previous, folder)
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    shutil.rmtree(previous, ignore_errors=True)
