"""The steps of the daily refresh that are not dbt, as plain functions of the run's context.

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

from nyckeltal.context import RunContext
from nyckeltal.errors import NyckeltalError
from nyckeltal.quality.outcome import ValidationOutcome


def run_checkpoint(
    name: str,
    context: RunContext,
    *,
    run_started_at: dt.datetime | None = None,
    tables: Sequence[str] | None = None,
) -> ValidationOutcome:
    """A checkpoint on the run's engine (quality.runner: the same suites on every engine, the
    DuckDB warehouse file in the committed GX file context, PostgreSQL / Spark on their own
    execution)."""
    from nyckeltal.quality import runner

    return runner.run_checkpoint(name, context, run_started_at=run_started_at, tables=tables)


def require_warehouse(context: RunContext) -> None:
    """Raise when the run's engine keeps its warehouse in a file that does not exist yet."""
    if context.engine.embedded and not context.warehouse.exists():
        raise NyckeltalError(
            f"no warehouse at {context.warehouse}: load data first (`nyckeltal demo` or "
            "`nyckeltal load DIR`)"
        )


def validate_sources(
    context: RunContext,
    run_started_at: dt.datetime | None = None,
    tables: Sequence[str] | None = None,
) -> ValidationOutcome:
    """Run the `sources` checkpoint (all contract tables, or `tables`: keys like
    "billing.invoices"). Timestamps must not lie after `run_started_at` (default now, UTC),
    whatever the as-of date says, so replays with an earlier as-of date validate the same
    way. Without error-severity failures, the row counts are recorded for the next
    comparison (in the DuckDB warehouse)."""
    from nyckeltal.quality.row_counts import record_row_counts
    from nyckeltal.quality.runner import utc_naive

    require_warehouse(context)
    started = utc_naive(run_started_at)
    outcome = run_checkpoint("sources", context, run_started_at=started, tables=tables)
    if outcome.passed and context.engine.embedded:
        in_scope = [s.table for s in outcome.suites if s.kind == "rows" and s.table]
        record_row_counts(context.warehouse, in_scope, started)
    return outcome


def validate_marts(context: RunContext) -> ValidationOutcome:
    """Run the `marts` checkpoint on the marts dbt built in the warehouse."""
    require_warehouse(context)
    return run_checkpoint("marts", context)


def publish_marts(context: RunContext, run_id: str | None = None) -> Path:
    """Atomically replace the published file with the warehouse's marts, and the Parquet
    export and the PostgreSQL schema when they are configured; return the file's path.

    The marts are read through the run's engine into a private DuckDB file
    (Engine.read_marts; the DuckDB warehouse is published as it is), which is published as
    the snapshot file, the Parquet export and the PostgreSQL schema. On PostgreSQL the
    publication schema defaults to the target server's `postgres_published_schema`."""
    from nyckeltal.publish import mart_docs, publish

    published = context.published
    published.parent.mkdir(parents=True, exist_ok=True)
    staging = published.with_name(f".nyckeltal_engine_marts_{run_id or 'run'}.duckdb")
    try:
        if context.engine.embedded:
            source, as_of = context.warehouse, _as_of_date(context)
        else:
            source, as_of = context.engine.read_marts(staging, context.warehouse)
        publish(
            source,
            published,
            as_of_date=as_of,
            run_id=run_id,
            parquet_dir=context.parquet_dir,
            postgres=postgres_target(context),
            docs=mart_docs(context.project_dir),
            reporting_currency=context.reporting_currency,
        )
    finally:
        staging.unlink(missing_ok=True)
    return published


def _as_of_date(context: RunContext) -> dt.date | None:
    try:
        with context.engine.connect(context.warehouse) as connection:
            return context.engine.as_of_date(connection)
    except context.engine.read_errors():
        return None


def postgres_target(context: RunContext) -> object | None:
    """The PostgreSQL publication: NYCKELTAL_PUBLISH_POSTGRES_URL, else the engine's own
    server (PostgreSQL), else none."""
    from nyckeltal.publish import PostgresTarget

    config = context.settings
    url = config.publish_postgres_url
    if url is not None:
        server, schema = url.get_secret_value(), config.publish_postgres_schema
    elif (default := context.engine.publication_postgres()) is not None:
        server, schema = default
    else:
        return None
    password = config.publish_postgres_reader_password
    return PostgresTarget(
        url=server,
        schema=schema,
        reader_role=config.publish_postgres_reader_role or None,
        reader_password=password.get_secret_value() if password else None,
    )
