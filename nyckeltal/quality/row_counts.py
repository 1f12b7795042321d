"""Row counts of the previous load, kept in the warehouse (`nyckeltal_meta.row_counts`).

After a source validation without errors, the row count of every validated raw table is
appended with the time of the run. The next validation compares against the latest count of
each table: a drop of more than NYCKELTAL_MAX_ROW_DROP (a share, default 0.5) fails the
`raw__row_counts` suite, a warning by default.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import duckdb

from nyckeltal.quality.assets import META_SCHEMA, ROW_COUNTS_RELATION, current_row_counts


def ensure_row_counts_table(warehouse: Path) -> None:
    """Create `nyckeltal_meta.row_counts` (empty) when it does not exist: the `raw__row_counts`
    query asset reads it, also on the first validation of a warehouse."""
    if not Path(warehouse).exists():
        return  # nothing to validate: the validation reports the missing tables
    with duckdb.connect(str(warehouse)) as connection:
        _create(connection)


def _create(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(f"create schema if not exists {META_SCHEMA}")
    connection.execute(
        f"create table if not exists {ROW_COUNTS_RELATION} ("
        "table_key varchar not null, row_count bigint not null, "
        "recorded_at timestamp not null)"
    )


def record_row_counts(
    warehouse: Path, tables: Sequence[str], recorded_at: dt.datetime
) -> dict[str, int]:
    """Append the current row count of `tables` (contract keys) to nyckeltal_meta.row_counts."""
    with duckdb.connect(str(warehouse)) as connection:
        counts = current_row_counts(connection, tables)
        _create(connection)
        connection.executemany(
            f"insert into {ROW_COUNTS_RELATION} values (?, ?, ?)",
            [[key, count, recorded_at] for key, count in counts.items()],
        )
    return counts
