"""The load stamp: every raw table the loader writes gets a `_loaded_at` column holding the
UTC time of the load (one instant for the whole load), which dbt's `source freshness` and
Dagster's freshness checks measure. Written at the last step, by each engine's writer."""

from __future__ import annotations

import datetime as dt

from nyckeltal.contract import LOADED_AT_COLUMN
from nyckeltal.loading.sql import quote
from nyckeltal.loading.staging import StagedTable


def load_stamp() -> dt.datetime:
    """Now, in UTC, without a time zone (the raw tables' timestamp convention)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def stamped_columns(staged: StagedTable) -> str:
    """The contract column names of a staged table, then `_loaded_at` (an insert's list)."""
    return ", ".join([*(quote(column.name) for column in staged.table.columns), LOADED_AT_COLUMN])


def stamped_values(staged: StagedTable, stamp: dt.datetime, alias: bool = False) -> str:
    """The typed contract columns of a staged table, then the stamp (a select's list)."""
    values = [
        staged.typed(column.name) + (f" as {quote(column.name)}" if alias else "")
        for column in staged.table.columns
    ]
    literal = f"timestamp '{stamp.isoformat(sep=' ')}'"
    return ", ".join([*values, literal + (f" as {LOADED_AT_COLUMN}" if alias else "")])
