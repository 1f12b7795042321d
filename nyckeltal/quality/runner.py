"""Running a checkpoint: one loop over its suites on every engine, the same outcome.

The runner walks the checkpoint's suites itself (GX's own `checkpoint.run()` works too on
DuckDB, see `gx_api`): a missing table must read as such, not as forty failing
expectations, and the runner adds timings, severities and example rows (`outcome`). What
differs per engine (where a suite's batch comes from, whether Data Docs are built) is a
`batches.SuiteBatches` chosen by the engine's `gx_context_mode`: the committed GX file context
on DuckDB (`file_context`), an ephemeral GX context on the engine's data source on
PostgreSQL and Spark (`batches.EngineBatches`).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from nyckeltal.contract import TABLES, TABLES_BY_KEY
from nyckeltal.quality import assets, compiled_run, project
from nyckeltal.quality.batches import EngineBatches, SuiteBatches
from nyckeltal.quality.file_context import FileContextBatches
from nyckeltal.quality.outcome import MAX_EXAMPLES, Failure, SuiteResult, ValidationOutcome
from nyckeltal.quality.severity import ERROR, SeverityOverrides
from nyckeltal.quality.source_suites import run_parameters
from nyckeltal.quality.spec import INTEGRITY, ROW_COUNTS, SCHEMA, SuiteSpec

if TYPE_CHECKING:
    from nyckeltal.context import RunContext

Log = Callable[[str], None]
COMPILED = compiled_run.EXECUTION  # RunContext.gx_execution of the compiled path


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


def _batch_columns(
    batches: SuiteBatches, spec: SuiteSpec, parameters: dict[str, Any] | None
) -> list[str]:
    """The columns of a suite's batch, in order (shown in example rows)."""
    if parameters is not None:
        return [str(column) for column in parameters["dataframe"].columns]
    connection = batches.connection
    if batches.kind(spec) == assets.QUERY_ASSET:
        query = batches.query(spec)
        described = connection.execute(f"select * from ({query}) as batch limit 0").description
        return [column[0] for column in described or ()]
    schema, name = assets.validated_relation(spec).split(".")
    actual = assets.table_columns(connection, schema, name)
    table = TABLES_BY_KEY.get(spec.table or "")
    if table is None:  # a mart: every column
        return list(actual)
    return [column.name for column in table.columns if column.name in actual]


def _run_compiled(
    batches: SuiteBatches,
    spec: SuiteSpec,
    columns: Sequence[str],
    expectation_parameters: dict[str, Any],
    run_identifier: Any,
) -> Any | None:
    """The suite on the compiled path (`compiled_run`), or None: GX's own execution runs it
    (NYCKELTAL_GX_EXECUTION=gx, an engine without it, a suite that does not compile)."""
    store = batches.results_store()
    if batches.context.gx_execution != COMPILED or store is None:
        return None
    query = batches.query(spec) if batches.kind(spec) == assets.QUERY_ASSET else None
    return compiled_run.validate(
        batches.definition(spec),
        batches.connection,
        query,
        columns,
        expectation_parameters,
        run_identifier,
        store,
        batches.context.engine.read_errors(),
    )


def _run_suite(
    batches: SuiteBatches,
    spec: SuiteSpec,
    in_scope: Sequence[str],
    expectation_parameters: dict[str, Any],
    run_id: str,
    run_time: dt.datetime,
    overrides: SeverityOverrides,
) -> SuiteResult:
    from great_expectations.core.run_identifier import RunIdentifier

    started = time.perf_counter()
    result = SuiteResult(suite=spec.name, table=spec.table, kind=spec.kind)
    kind = batches.kind(spec)
    connection = batches.connection
    try:
        missing = assets.missing_relation(connection, spec)
        if missing:
            raise LookupError(missing)
        parameters = batches.parameters(spec, in_scope)
        columns = _batch_columns(batches, spec, parameters)
        label = "all rows" if spec.kind not in (SCHEMA, ROW_COUNTS) else spec.kind.replace("_", " ")
        run_identifier = RunIdentifier(run_name=f"{run_id} {label}", run_time=run_time)
        validation = _run_compiled(batches, spec, columns, expectation_parameters, run_identifier)
        if validation is None:
            validation = batches.definition(spec).run(
                batch_parameters=parameters,
                expectation_parameters=expectation_parameters,
                result_format={**project.RESULT_FORMAT, "unexpected_index_column_names": columns},
                run_id=run_identifier,
            )
        counts = [
            int(r.result["element_count"])
            for r in validation.results
            if r.result and r.result.get("element_count") is not None
        ]
        result.batches = 1
        if kind == assets.DATAFRAME_ASSET and parameters is not None:
            result.rows = len(parameters["dataframe"])
        elif counts:
            result.rows = max(counts)
        elif kind == assets.TABLE_ASSET:
            result.rows = assets.row_count(connection, spec)
        for expectation_result in validation.results:
            failure = failure_of(expectation_result, spec, columns, overrides)
            if failure is not None:
                result.failures.append(failure)
    except (LookupError, *batches.context.engine.read_errors()) as error:
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
                error=str(error).strip().splitlines()[0],
            )
        )
    result.expectations = len(spec.checks)
    result.seconds = time.perf_counter() - started
    return result


def suite_batches(context: RunContext, checkpoint: str) -> SuiteBatches:
    """What differs on the run's engine (its `gx_context_mode`: `file` or `ephemeral`)."""
    modes = {batches.mode: batches for batches in (FileContextBatches, EngineBatches)}
    return modes[context.engine.gx_context_mode](context, checkpoint)


def run_checkpoint(
    name: str,
    context: RunContext,
    *,
    run_started_at: dt.datetime | None = None,
    tables: Sequence[str] | None = None,
    log: Log = print,
) -> ValidationOutcome:
    """Run checkpoint `name` (`sources` or `marts`) on the context's engine; never raises on
    bad data.

    `tables` (contract keys) limits the source suites to those tables; None means all.
    """
    started = time.perf_counter()
    if tables is not None:
        unknown = sorted(set(tables) - set(TABLES_BY_KEY))
        if unknown:
            raise KeyError(f"unknown tables {unknown}; the contract has {sorted(TABLES_BY_KEY)}")
    in_scope = tuple(tables) if tables is not None else tuple(t.key for t in TABLES)
    specs = [
        spec
        for spec in project.checkpoint_suites(context.project_dir)[name]
        if not (spec.table in TABLES_BY_KEY and spec.table not in in_scope)
    ]
    moment = utc_naive(run_started_at)
    parameters = source_parameters(context, moment)
    overrides = severity_overrides(context)
    run_time = dt.datetime.now(dt.UTC)
    run_id = f"{name}-{run_time:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    batches = suite_batches(context, name)
    log(f"Validating {name} {batches.where} (run {run_id})")
    results: list[SuiteResult] = []
    with batches.connected():
        for spec in specs:
            batches.before(spec)
            suite_result = _run_suite(
                batches, spec, in_scope, parameters, run_id, run_time, overrides
            )
            log(suite_result.progress_line())
            results.append(suite_result)
    return ValidationOutcome(
        checkpoint=name,
        suites=results,
        data_docs_path=batches.data_docs(run_id),
        run_id=run_id,
        seconds=time.perf_counter() - started,
    )


def source_parameters(context: RunContext, moment: dt.datetime) -> dict[str, Any]:
    """The expectation parameters of the source suites for a run that started at `moment`."""
    return run_parameters(moment, context.settings.max_row_drop, context.date_window(moment.date()))


def severity_overrides(context: RunContext) -> SeverityOverrides:
    """The run's NYCKELTAL_DQ_ERROR / NYCKELTAL_DQ_WARN overrides."""
    return SeverityOverrides(context.settings.dq_error, context.settings.dq_warn)
