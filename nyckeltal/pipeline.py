"""The steps of the daily build, as plain functions.

`nyckeltal run` and the schedule execute them through the Dagster job
(`orchestration.jobs.run_daily_refresh`): validations become blocking asset checks, the dbt
build becomes one asset per model (dagster-dbt), publishing an asset of its own.

1. `validate_sources`: the Great Expectations source suites on the raw tables;
2. `build_models`: `dbt build` (seeds, models and their tests) into the warehouse file;
3. `validate_marts`: the mart suites on what dbt built;
4. `publish_marts`: atomically replace the PUBLISHED file that BI tools read (and the Parquet
   export and the PostgreSQL schema, when configured).

`run_daily_build` does the four in order without Dagster (the data-quality tests use it: it is
the same steps, without the orchestration overhead). An error-severity failure stops it with a
`DataQualityError` whose message is the summary (suite, expectation, failing count, example
rows); nothing is published, so yesterday's KPIs are still served. Warnings are printed and
the run goes on.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from nyckeltal import settings
from nyckeltal.dbt_runner import DbtError, run_dbt
from nyckeltal.errors import NyckeltalError
from nyckeltal.quality.outcome import ValidationOutcome


class BuildError(NyckeltalError):
    """The dbt build failed."""


class DataQualityError(NyckeltalError):
    """A validation found an error-severity failure; nothing was published."""

    def __init__(self, outcome: ValidationOutcome, stage: str) -> None:
        super().__init__(
            f"{stage} failed validation; nothing was published, the previously published "
            f"marts are unchanged.\n{outcome.summary()}"
        )
        self.outcome = outcome


@dataclass(frozen=True)
class RunResult:
    """What a successful daily build did."""

    sources: ValidationOutcome
    marts: ValidationOutcome
    published: Path
    seconds: float


def build_vars(as_of: dt.date | None) -> dict[str, object]:
    return {"as_of_date": as_of.isoformat()} if as_of else {}


def _require_warehouse(warehouse: Path) -> None:
    if not warehouse.exists():
        raise NyckeltalError(
            f"no warehouse at {warehouse}: load data first (`nyckeltal demo` or "
            "`nyckeltal load DIR`)"
        )


def validate_sources(
    warehouse: Path,
    as_of: dt.date | None = None,
    run_started_at: dt.datetime | None = None,
    tables: Sequence[str] | None = None,
) -> ValidationOutcome:
    """Run the `sources` checkpoint (all contract tables, or `tables`: keys like
    "billing.invoices"). Timestamps must not lie after `run_started_at` (default now, UTC),
    whatever `as_of` says, so replays with an earlier as-of date validate the same way.
    Without error-severity failures, the row counts are recorded for the next comparison."""
    from nyckeltal.quality.row_counts import record_row_counts
    from nyckeltal.quality.runner import run_checkpoint, utc_naive

    _require_warehouse(warehouse)
    started = utc_naive(run_started_at)
    outcome = run_checkpoint("sources", warehouse, run_started_at=started, tables=tables)
    if outcome.passed:
        in_scope = [s.table for s in outcome.suites if s.kind == "rows" and s.table]
        record_row_counts(warehouse, in_scope, started)
    return outcome


def build_models(
    warehouse: Path, as_of: dt.date | None = None, extra_vars: Mapping | None = None
) -> None:
    """`dbt build` of seeds, models and their tests into the warehouse file."""
    _require_warehouse(warehouse)
    print(f"Building the warehouse {warehouse}" + (f" as of {as_of}" if as_of else ""))
    try:
        run_dbt(
            ["build", "--exclude-resource-type", "unit_test"],
            warehouse,
            {**build_vars(as_of), **dict(extra_vars or {})},
        )
    except DbtError as error:
        raise BuildError(str(error)) from None


def validate_marts(warehouse: Path, as_of: dt.date | None = None) -> ValidationOutcome:
    """Run the `marts` checkpoint on the marts dbt built in the warehouse."""
    from nyckeltal.quality.runner import run_checkpoint

    _require_warehouse(warehouse)
    return run_checkpoint("marts", warehouse)


def _as_of_date(warehouse: Path) -> dt.date | None:
    try:
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            row = connection.execute(
                "select max(as_of_date) from intermediate.int_reporting_window"
            ).fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None


def publish_marts(
    warehouse: Path, published: Path | None = None, run_id: str | None = None
) -> Path:
    """Atomically replace the published file with the warehouse's marts, and the Parquet
    export and the PostgreSQL schema when they are configured; return the file's path."""
    from nyckeltal.publish import PostgresTarget, mart_docs, publish

    config = settings.current()
    target = published or settings.published_path(warehouse)
    postgres = None
    if config.publish_postgres_url is not None:
        password = config.publish_postgres_reader_password
        postgres = PostgresTarget(
            url=config.publish_postgres_url.get_secret_value(),
            schema=config.publish_postgres_schema,
            reader_role=config.publish_postgres_reader_role or None,
            reader_password=password.get_secret_value() if password else None,
        )
    publish(
        warehouse,
        target,
        as_of_date=_as_of_date(warehouse),
        run_id=run_id,
        parquet_dir=settings.parquet_dir(warehouse, target),
        postgres=postgres,
        docs=mart_docs(config.project_dir),
    )
    return target


def run_daily_build(warehouse: Path, as_of: dt.date | None = None) -> RunResult:
    """Validate sources, build, validate marts, publish; raise on an error-severity failure."""
    _require_warehouse(warehouse)
    started = time.perf_counter()
    run_started_at = dt.datetime.now(dt.UTC)
    sources = validate_sources(warehouse, as_of=as_of, run_started_at=run_started_at)
    if not sources.passed:
        raise DataQualityError(sources, "the raw sources")
    print(sources.summary())
    build_models(warehouse, as_of=as_of)
    marts = validate_marts(warehouse, as_of=as_of)
    if not marts.passed:
        raise DataQualityError(marts, "the marts")
    print(marts.summary())
    published = publish_marts(warehouse)
    return RunResult(sources, marts, published, time.perf_counter() - started)
