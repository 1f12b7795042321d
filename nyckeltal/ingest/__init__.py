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
import datetime as dt
import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import SecretStr

from nyckeltal.errors import NyckeltalError
from nyckeltal.vendor_layouts import INGEST_VENDORS

if TYPE_CHECKING:
    from nyckeltal.context import RunContext


ConfigT = TypeVar("ConfigT", bound="Landing")


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


def from_settings(
    config_class: type[ConfigT],
    context: RunContext,
    vendor_name: str,
    fields: Mapping[str, str],
    **values: Any,
) -> ConfigT:
    """A vendor's IngestConfig from the run context's settings (read at the edge: the CLI, the
    Dagster asset): each of `fields` from the Settings field it names (a secret as its text,
    unset as '', which the config refuses naming the setting), the destination
    `landing_destination`'s, the other `values` as given."""
    for field, name in fields.items():
        value = getattr(context.settings, name)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        values[field] = "" if value is None else value
    return config_class(destination=landing_destination(context, vendor_name), **values)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Landing:
    """Where an ingest lands and how it retries: the fields every vendor's IngestConfig
    shares (keyword arguments; the vendor's own fields, its credential first, come before)."""

    destination: Path  # the DuckDB file of the landing schema
    pipelines_dir: Path | None = None  # dlt's local state (None: beside the destination)
    max_attempts: int = 5
    backoff_factor: float = 1.0
    max_retry_delay: float = 60.0

    def session(self) -> Any:
        """dlt's requests session: 429 (honouring Retry-After) and 5xx retried with
        exponential backoff; an error status raised after the retries."""
        from dlt.sources.helpers.requests import Client

        return Client(
            request_max_attempts=self.max_attempts,
            request_backoff_factor=self.backoff_factor,
            request_max_retry_delay=self.max_retry_delay,
            respect_retry_after_header=True,
            raise_for_status=False,  # the caller raises (dlt's REST client), after the retries
        ).session


def land(
    vendor: str,
    data: Any,
    destination: Path,
    dataset: str,
    pipelines_dir: Path | None,
    one_line: Callable[[BaseException], str],
) -> IngestResult:
    """Run dlt's pipeline `nyckeltal_<vendor>` on `data` (a source or resource) into the
    schema `dataset` of the DuckDB file `destination` (its state in `pipelines_dir`, else
    beside it). All or nothing: a failure aborts the half-extracted package, so the data
    landed before stays as it was, and is raised as IngestError(one_line(error))."""
    import dlt

    destination.parent.mkdir(parents=True, exist_ok=True)
    pipeline = dlt.pipeline(
        pipeline_name=f"nyckeltal_{vendor}",
        pipelines_dir=str(pipelines_dir or destination.parent / ".dlt_pipelines"),
        # A table replaced on every ingest is loaded into staging and swapped in, in one
        # transaction: a failed load leaves the one before (dlt's default empties it first).
        destination=dlt.destinations.duckdb(
            str(destination), replace_strategy="insert-from-staging"
        ),
        dataset_name=dataset,
    )
    try:
        info = pipeline.run(data)
    except Exception as error:  # dlt wraps every step's failure (PipelineStepFailed)
        pipeline.abort_packages()  # the half-extracted package; the state as before
        raise IngestError(one_line(error)) from None
    rows = {
        table: count
        for table, count in pipeline.last_trace.last_normalize_info.row_counts.items()
        if not table.startswith("_dlt")
    }
    info.raise_on_failed_jobs()
    return IngestResult(vendor=vendor, rows=rows, destination=destination, dataset=dataset)


def merged_resource(
    table: str,
    types: Mapping[str, str],
    cursor: str,
    read: Callable[[Any], Iterable[list[dict[str, Any]]]],
    hints: Mapping[str, dict[str, Any]] | None = None,
) -> Any:
    """dlt's resource `table`, merged on `id`, its columns of dlt's `types` (and `hints`),
    incremental on the landed column `cursor` (rows without one kept): the pages of rows
    `read(since)` yields, `since` the newest cursor landed (None the first time). dlt's
    cursor drops the rows read again unchanged."""
    import dlt

    columns = {name: {"data_type": kind} for name, kind in types.items()} | dict(hints or {})

    @dlt.resource(name=table, primary_key="id", write_disposition="merge", columns=columns)
    def rows(
        landed: Any = dlt.sources.incremental(  # noqa: B008 (dlt's documented form)
            cursor, initial_value=None, on_cursor_value_missing="include"
        ),
    ) -> Iterator[list[dict[str, Any]]]:
        yield from read(landed.last_value)

    return rows


def landed_value(value: Any, kind: str) -> Any:
    """A vendor's value as landed in a column of dlt's type `kind`: a date the calendar date
    as written (never shifted to UTC), a timestamp a UTC time, the rest text; empty as null."""
    if value is None or value == "":
        return None
    if kind == "date":
        return dt.date.fromisoformat(str(value)[:10])
    if kind == "timestamp":
        return dt.datetime.fromisoformat(str(value)).astimezone(dt.UTC)
    return str(value)


def landed_column(field: str) -> str:
    """The column dlt lands a vendor's field in (its snake_case naming: `hireDate` is
    hire_date, `4021` is _4021, `dynamic_123` stays)."""
    from dlt.common.normalizers.naming.snake_case import NamingConvention

    return NamingConvention().normalize_identifier(field)


def failure_cause(error: BaseException) -> tuple[Any, str]:
    """What made an ingest fail, its causes followed: the HTTP response with an error status
    (None when there is none), and the innermost cause on one line (300 characters)."""
    cause: BaseException = error
    while True:
        response = getattr(cause, "response", None)
        if getattr(response, "status_code", None) is not None:
            return response, ""
        following = cause.__cause__ or cause.__context__
        if following is None:
            return None, " ".join(str(cause).split())[:300]
        cause = following
