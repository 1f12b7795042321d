"""Which KPI families the loaded data can compute, as published (`marts.kpi_family_availability`).

A family is *not available* when a table it needs (the catalogue's `seeds/kpi_family_inputs.csv`)
was absent from the last load: it has no scorecard rows, and the run summary and the report
say so, naming the tables (docs/data-contract.md#optional-tables).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from nyckeltal.relations import has_relation

AVAILABILITY_MART = "kpi_family_availability"
# The load manifest (nyckeltal.loading.absent.MANIFEST): one row per contract table.
MANIFEST_SCHEMA, MANIFEST_TABLE = "raw_nyckeltal", "tables_loaded"


@dataclass(frozen=True)
class UnavailableFamily:
    """A KPI family whose input tables were not all loaded."""

    family: str
    name: str
    required_tables: str
    missing_tables: str

    def line(self) -> str:
        return (
            f"{self.name} ({self.family}) not available: no {self.missing_tables} loaded "
            f"(it needs {self.required_tables})"
        )


def absent_tables(connection: duckdb.DuckDBPyConnection) -> set[str]:
    """The contract tables (keys) the last load recorded as absent in its manifest."""
    if not has_relation(connection, MANIFEST_SCHEMA, MANIFEST_TABLE):
        return set()
    rows = connection.execute(
        f"select table_key from {MANIFEST_SCHEMA}.{MANIFEST_TABLE} where not is_loaded"
    ).fetchall()
    return {row[0] for row in rows}


def unavailable_families(published: Path) -> list[UnavailableFamily]:
    """The families of the published marts file that are not available (none when the file
    predates the availability mart)."""
    if not published.exists():
        return []
    with duckdb.connect(str(published), read_only=True) as connection:
        if not has_relation(connection, "marts", AVAILABILITY_MART):
            return []
        rows = connection.execute(
            "select family, family_name, required_tables, missing_tables "
            f"from marts.{AVAILABILITY_MART} where not is_available order by family"
        ).fetchall()
    return [UnavailableFamily(*row) for row in rows]
