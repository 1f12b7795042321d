"""The steps of the daily refresh that are not dbt, as plain functions.

They run only inside the Dagster job (orchestration/): `nyckeltal run` and the schedule
execute it, the validations are its blocking asset checks, publishing an asset of its own,
and dbt builds every model in one `dbt build` between them.

- `validate_sources`: the Great Expectations source suites on the raw tables;
- `validate_marts`: the mart suites on what dbt built;
- `publish_marts`: atomically replace the PUBLISHED file that BI tools read (and the Parquet
  export and the PostgreSQL schema, when configured).

An error-severity failure makes the check fail, so nothing downstream is built or
published and yesterday's KPIs are still served; warnings are reported and the run goes on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import duckdb

from nyckeltal import settings
from nyckeltal.errors import NyckeltalError
from nyckeltal.quality.outcome import ValidationOutcome


def run_checkpoint(
    name: str,
    warehouse: Path,
    *,
    run_started_at: dt.datetime | None = None,
    tables: Sequence[str] | None = None,
) -> ValidationOutcome:
    """A checkpoint on the run's engine: the DuckDB warehouse file (quality.runner), or
    PostgreSQL / Spark (quality.engine_runner: the same suites, the engine's execution)."""
    if settings.target() == "duckdb":
        from nyckeltal.quality import runner

        return runner.run_checkpoint(name, warehouse, run_started_at=run_started_at, tables=tables)
    from nyckeltal.contract import TABLES_BY_KEY
    from nyckeltal.quality import engine_runner

    unknown = sorted(set(tables or ()) - set(TABLES_BY_KEY))
    if unknown:
        raise KeyError(f"unknown tables {unknown}; the contract has {sorted(TABLES_BY_KEY)}")
    return engine_runner.run_checkpoint(name, run_started_at=run_started_at, tables=tables)


def _require_warehouse(warehouse: Path) -> None:
    if settings.target() == "duckdb" and not warehouse.exists():
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
    from nyckeltal.quality.runner import utc_naive

    _require_warehouse(warehouse)
    started = utc_naive(run_started_at)
    outcome = run_checkpoint("sources", warehouse, run_started_at=started, tables=tables)
    if outcome.passed and settings.target() == "duckdb":  # row counts: DuckDB only
        in_scope = [s.table for s in outcome.suites if s.kind == "rows" and s.table]
        record_row_counts(warehouse, in_scope, started)
    return outcome


def validate_marts(warehouse: Path, as_of: dt.date | None = None) -> ValidationOutcome:
    """Run the `marts` checkpoint on the marts dbt built in the warehouse."""
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
    if config.target != "duckdb":
        return _publish_engine_marts(target, run_id)
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
        reporting_currency=settings.reporting_currency(),
    )
    return target


def _publish_engine_marts(published: Path, run_id: str | None) -> Path:
    """Publish the marts of PostgreSQL or Spark (NYCKELTAL_TARGET): they are read from the
    engine into a private DuckDB file (nyckeltal.engines.read_marts; marts are small), which
    is published like the DuckDB warehouse: the snapshot file, the Parquet export and the
    PostgreSQL schema. On PostgreSQL the publication schema defaults to the target server's
    `postgres_published_schema`, switched in one transaction."""
    from nyckeltal import engines
    from nyckeltal.publish import PostgresTarget, mart_docs, publish

    config = settings.current()
    published.parent.mkdir(parents=True, exist_ok=True)
    staging = published.with_name(f".nyckeltal_engine_marts_{run_id or 'run'}.duckdb")
    postgres = None
    if config.publish_postgres_url is not None or config.target == "postgres":
        password = config.publish_postgres_reader_password
        url = config.publish_postgres_url
        postgres = PostgresTarget(
            url=url.get_secret_value() if url else settings.postgres_conninfo(config),
            schema=config.publish_postgres_schema if url else config.postgres_published_schema,
            reader_role=config.publish_postgres_reader_role or None,
            reader_password=password.get_secret_value() if password else None,
        )
    try:
        _, as_of = engines.read_marts(staging)
        publish(
            staging,
            published,
            as_of_date=as_of,
            run_id=run_id,
            parquet_dir=settings.parquet_dir(published=published),
            postgres=postgres,
            docs=mart_docs(config.project_dir),
            reporting_currency=settings.reporting_currency(),
        )
    finally:
        staging.unlink(missing_ok=True)
    return published
