"""Running a checkpoint: every validation definition as SQL on the warehouse, then Data Docs.

The runner walks the checkpoint's validation definitions itself (GX's own `checkpoint.run()`
works too, see `gx_api`): a missing table must read as such, not as forty failing
expectations, and the runner adds timings, severities and example rows (`outcome`). GX
computes every metric of a SQL asset inside DuckDB (duckdb-engine, read-only;
`duckdb_sql_shim` makes GX's SQL data source work there), so no table row travels to Python
except the few example rows of a failure. The checkpoint's action (update Data Docs) runs
once at the end. Results of a suite's previous run are pruned first, so the store and the
Data Docs site hold the latest run of every suite and do not grow.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from nyckeltal.contract import TABLES, TABLES_BY_KEY
from nyckeltal.quality import assets, duckdb_sql_shim, project
from nyckeltal.quality.outcome import MAX_EXAMPLES, Failure, SuiteResult, ValidationOutcome
from nyckeltal.quality.row_counts import ensure_row_counts_table
from nyckeltal.quality.severity import ERROR, SeverityOverrides
from nyckeltal.quality.source_suites import run_parameters
from nyckeltal.quality.spec import INTEGRITY, ROW_COUNTS, SCHEMA, SuiteSpec

if TYPE_CHECKING:
    from nyckeltal.context import RunContext

Log = Callable[[str], None]


def utc_naive(moment: dt.datetime | None) -> dt.datetime:
    """`moment` (default: now) as a naive UTC datetime, like the raw timestamps."""
    moment = moment or dt.datetime.now(dt.UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def _plain(value: Any) -> Any:
    """An example value as the DataFrame batches showed it (DECIMAL as a float)."""
    return float(value) if isinstance(value, Decimal) else value


def failure_of(
    result: Any, suite: SuiteSpec, columns: Sequence[str], overrides: SeverityOverrides
) -> Failure | None:
    """The failure of one expectation result (None when it passed). `columns`: the columns
    of the validated batch, in order, which example rows show."""
    config = result.expectation_config
    kwargs: dict[str, Any] = dict(config.kwargs)
    meta: dict[str, Any] = dict(config.meta or {})
    details = result.result or {}
    error: str | None = None
    if result.exception_info and result.exception_info.get("raised_exception"):
        error = str(result.exception_info.get("exception_message"))
    elif result.success:
        return None
    examples: list[dict[str, Any]] = []
    for index in details.get("partial_unexpected_index_list") or []:
        if error or len(examples) >= MAX_EXAMPLES:
            break
        if not isinstance(index, dict):
            continue
        row = {name: _plain(index[name]) for name in columns if name in index}
        if suite.kind == INTEGRITY:  # keep the row's identity and the failing flag only
            row = {
                name: value
                for name, value in row.items()
                if not isinstance(value, bool) or name == kwargs.get("column")
            }
        examples.append(row)
    if not error and not examples and details.get("observed_value") is not None:
        examples.append({"observed_value": details["observed_value"]})
    column = kwargs.get("column")
    unexpected = details.get("unexpected_count")
    checked = details.get("element_count")
    return Failure(
        suite=suite.name,
        table=suite.table,
        expectation=config.type,
        kwargs=kwargs,
        severity=overrides.severity(
            str(meta.get("severity", ERROR)), suite.name, config.type, column
        ),
        failing_count=None if error or unexpected is None else int(unexpected),
        # An integrity batch holds only offending rows: "n of n" would mislead.
        checked_count=None if suite.kind == INTEGRITY or checked is None else int(checked),
        examples=tuple(examples),
        reason=str(meta.get("reason", "")),
        error=error,
    )


def _prune(directory: Path, suite: str) -> None:
    for folder in (
        directory / "uncommitted" / "validations" / suite,
        directory / "uncommitted" / "data_docs" / project.DATA_DOCS_SITE / "validations" / suite,
    ):
        shutil.rmtree(folder, ignore_errors=True)


class _Engines:
    """The SQLAlchemy engines of the run's SQL data source: each new DuckDB connection gets
    the reporting currency as a variable; all are disposed at the end, which releases the
    warehouse file (a read-write connection may follow in the same process)."""

    def __init__(self, reporting_currency: str) -> None:
        self.statement = (
            f"set variable {assets.REPORTING_CURRENCY_VARIABLE} = "
            f"'{reporting_currency.replace(chr(39), chr(39) * 2)}'"
        )
        self.engines: dict[int, Any] = {}

    def prepare(self, validation_definition: Any) -> Any:
        """The engine a SQL validation definition runs on, ready."""
        from sqlalchemy import event

        datasource = validation_definition.data.data_asset.datasource
        engine = datasource.get_execution_engine().engine
        if id(engine) in self.engines:
            return engine
        engine.dispose()  # connections opened before the listener would lack the variable

        def on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute(self.statement)

        event.listen(engine, "connect", on_connect)
        self.engines[id(engine)] = engine
        return engine

    def dispose(self) -> None:
        for engine in self.engines.values():
            engine.dispose()
        self.engines.clear()


def _catalogue_engine(warehouse: Path) -> Any:
    import sqlalchemy

    return sqlalchemy.create_engine(
        project.warehouse_url(warehouse), connect_args={"read_only": True}
    )


def _batch_columns(connection: duckdb.DuckDBPyConnection, spec: SuiteSpec, kind: str) -> list[str]:
    """The columns of a suite's batch, in order (shown in example rows)."""
    if kind == assets.QUERY_ASSET:
        query = assets.asset_query(spec)
        described = connection.execute(f"select * from ({query}) as batch limit 0").description
        return [column[0] for column in described or ()]
    schema, name = assets.validated_relation(spec).split(".")
    actual = assets.table_columns(connection, schema, name)
    table = TABLES_BY_KEY.get(spec.table or "")
    if table is None:  # a mart: every column
        return list(actual)
    return [column.name for column in table.columns if column.name in actual]


def _run_suite(
    validation_definition: Any,
    spec: SuiteSpec,
    connection: duckdb.DuckDBPyConnection,
    parameters: dict[str, Any],
    run_id: str,
    run_time: dt.datetime,
    overrides: SeverityOverrides,
) -> SuiteResult:
    from great_expectations.core.run_identifier import RunIdentifier

    started = time.perf_counter()
    result = SuiteResult(suite=spec.name, table=spec.table, kind=spec.kind)
    kind = assets.asset_type(spec)
    try:
        missing = assets.missing_relation(connection, spec)
        if missing:
            raise LookupError(missing)
        label = "all rows" if spec.kind not in (SCHEMA, ROW_COUNTS) else spec.kind.replace("_", " ")
        columns = _batch_columns(connection, spec, kind)
        validation = validation_definition.run(
            expectation_parameters=parameters,
            result_format={**project.RESULT_FORMAT, "unexpected_index_column_names": columns},
            run_id=RunIdentifier(run_name=f"{run_id} {label}", run_time=run_time),
        )
        counts = [
            int(r.result["element_count"])
            for r in validation.results
            if r.result and r.result.get("element_count") is not None
        ]
        result.batches = 1
        if counts:
            result.rows = max(counts)
        elif kind == assets.TABLE_ASSET:
            result.rows = assets.row_count(connection, spec)
        for expectation_result in validation.results:
            failure = failure_of(expectation_result, spec, columns, overrides)
            if failure is not None:
                result.failures.append(failure)
    except (duckdb.Error, LookupError) as error:
        message = str(error).splitlines()[0]
        result.failures.append(
            Failure(
                suite=spec.name,
                table=spec.table,
                expectation="fetch",
                kwargs={},
                severity=ERROR,
                failing_count=None,
                checked_count=None,
                reason="the data to validate could not be read",
                error=message,
            )
        )
    result.expectations = len(spec.checks)
    result.seconds = time.perf_counter() - started
    return result


def run_checkpoint(
    name: str,
    context: RunContext,
    *,
    run_started_at: dt.datetime | None = None,
    tables: Sequence[str] | None = None,
    log: Log = print,
) -> ValidationOutcome:
    """Run checkpoint `name` (`sources` or `marts`) on the context's DuckDB warehouse; never
    raises on bad data.

    `tables` (contract keys) limits the source suites to those tables; None means all.
    """
    started = time.perf_counter()
    warehouse = context.warehouse
    if tables is not None:
        unknown = sorted(set(tables) - set(TABLES_BY_KEY))
        if unknown:
            raise KeyError(f"unknown tables {unknown}; the contract has {sorted(TABLES_BY_KEY)}")
    duckdb_sql_shim.apply()
    if name == project.SOURCES_CHECKPOINT:
        ensure_row_counts_table(warehouse)  # before any read-only connection opens
    directory = context.gx_dir
    changed = project.write_project(directory)
    gx_context = project.load_context(directory, warehouse)
    checkpoint = gx_context.checkpoints.get(name)
    specs = project.suites_by_name()
    in_scope = tuple(tables) if tables is not None else tuple(t.key for t in TABLES)
    moment = utc_naive(run_started_at)
    parameters = source_parameters(context, moment)
    overrides = severity_overrides(context)
    run_time = dt.datetime.now(dt.UTC)
    run_id = f"{name}-{run_time:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    log(f"Validating {name} of {warehouse} (run {run_id})")
    results: list[SuiteResult] = []
    definitions = [
        definition
        for definition in checkpoint.validation_definitions
        if not (
            specs[definition.name].table in TABLES_BY_KEY
            and specs[definition.name].table not in in_scope
        )
    ]
    engines = _Engines(context.reporting_currency)
    # The runner's own catalogue queries go through duckdb-engine too: DuckDB refuses a
    # second connection to the same file with another configuration in one process.
    catalogue = _catalogue_engine(warehouse)
    try:
        with catalogue.connect() as sql_connection:
            connection = sql_connection.connection.driver_connection
            for validation_definition in definitions:
                spec = specs[validation_definition.name]
                engines.prepare(validation_definition)
                _prune(directory, spec.name)
                suite_result = _run_suite(
                    validation_definition, spec, connection, parameters, run_id, run_time, overrides
                )
                log(suite_result.progress_line())
                results.append(suite_result)
    finally:
        engines.dispose()
        catalogue.dispose()
    changed_suites = {path.stem for path in changed if path.parent.name == "expectations"}
    docs = build_data_docs(gx_context, directory, run_id, changed_suites)
    return ValidationOutcome(
        checkpoint=name,
        suites=results,
        data_docs_path=docs,
        run_id=run_id,
        seconds=time.perf_counter() - started,
    )


def source_parameters(context: RunContext, moment: dt.datetime) -> dict[str, Any]:
    """The expectation parameters of the source suites for a run that started at `moment`."""
    return run_parameters(moment, context.settings.max_row_drop, context.date_window(moment.date()))


def severity_overrides(context: RunContext) -> SeverityOverrides:
    """The run's NYCKELTAL_DQ_ERROR / NYCKELTAL_DQ_WARN overrides."""
    return SeverityOverrides(context.settings.dq_error, context.settings.dq_warn)


def build_data_docs(
    context: Any, directory: Path, run_id: str, changed_suites: set[str] | None = None
) -> Path | None:
    """The checkpoint's action: render this run's results (and suite pages that are missing or
    changed) into the local Data Docs site, rebuild its index; return the index page."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
    )

    site = project.data_docs_index(directory).parent
    resources: list[Any] = [
        key
        for key in context.validation_results_store.list_keys()
        if str(key.run_id.run_name).startswith(run_id)
    ]
    for name in project.suites_by_name():
        if (
            name in (changed_suites or set())
            or not (site / "expectations" / f"{name}.html").exists()
        ):
            resources.append(ExpectationSuiteIdentifier(name=name))
    if resources:
        context.build_data_docs(site_names=[project.DATA_DOCS_SITE], resource_identifiers=resources)
    index = project.data_docs_index(directory)
    return index if index.exists() else None
