"""Ingest: pull a vendor's public API into the landing schema with dlt (`nyckeltal ingest`).

One module per vendor (`nyckeltal.ingest.<vendor>`, the name `nyckeltal ingest` takes, as
registered by the layout it lands: `vendor_layouts.Layout.ingested_by`). Each module has
`config(context) -> its IngestConfig` (the settings read at the edge: the CLI, the Dagster
resource), `ingest(config) -> IngestResult`, and `KEY_FIELD`, the Settings field of its
credential; it writes dlt's layout, which the vendor's `:dlt` mapping
(models/sources/<vendor>/dlt) reads. docs/sources.md "Ingest with dlt".
"""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from nyckeltal.errors import NyckeltalError
from nyckeltal.vendor_layouts import INGEST_VENDORS

if TYPE_CHECKING:
    from nyckeltal.context import RunContext


class IngestError(NyckeltalError):
    """The ingest failed; the data landed before is unchanged. One line."""


@dataclasses.dataclass(frozen=True)
class IngestResult:
    """What one ingest landed: rows per table (dlt's normalize counts)."""

    vendor: str
    rows: dict[str, int]
    destination: Path
    dataset: str

    def summary(self) -> str:
        landed = ", ".join(f"{table} {count}" for table, count in sorted(self.rows.items()))
        where = f"schema {self.dataset} of {self.destination}"
        return f"{self.vendor}: landed in the {where}: {landed or 'nothing new'}"


def vendor_module(vendor: str) -> ModuleType:
    """The ingest module of `vendor` (one of INGEST_VENDORS)."""
    if vendor not in INGEST_VENDORS:
        raise IngestError(f"cannot ingest {vendor!r}: the vendors are {', '.join(INGEST_VENDORS)}")
    return importlib.import_module(f"nyckeltal.ingest.{vendor}")


def has_credentials(vendor: str, context: RunContext) -> bool:
    """Whether the settings hold the vendor's credential (without one, a scheduled refresh
    maps the tables a user's own pipeline landed, as they are)."""
    return getattr(context.settings, vendor_module(vendor).KEY_FIELD) is not None


def run(vendor: str, context: RunContext) -> IngestResult:
    """Ingest `vendor` with the settings of `context`."""
    module = vendor_module(vendor)
    return module.ingest(module.config(context))


def landing_destination(context: RunContext, vendor_name: str) -> Path:
    """The DuckDB file dlt lands in: NYCKELTAL_LANDING_DATABASE, else the embedded warehouse;
    raises IngestError on an engine whose warehouse is not a DuckDB file."""
    destination = context.settings.landing_database
    if destination is not None:
        return destination
    if not context.engine.embedded:
        raise IngestError(
            f"dlt lands {vendor_name} in a DuckDB file: set NYCKELTAL_LANDING_DATABASE "
            "(the warehouse of this engine is not one)"
        )
    return context.warehouse
