"""Running a checkpoint on PostgreSQL or Spark: the same suites, on the engine's own execution.

On DuckDB the runner (`runner.run_checkpoint`) uses the committed GX file context, whose
data sources read the warehouse file. On the other engines (NYCKELTAL_TARGET) the same suites
and the same assets run in an ephemeral GX context whose data sources are the engine's:

- postgres: a GX SQL data source on the target server (SQLAlchemy + psycopg): one table
  asset per `rows`/`mart` suite and one query asset per `integrity`/`scorecard`/
  `reconciliation` suite; GX computes every metric as SQL in PostgreSQL;
- spark: a GX Spark data source on the in-process SparkSession (nyckeltal.engine.spark): each
  suite's batch is the Spark DataFrame of its table or query; GX computes every metric with
  Spark.

The two suites about tables (schema types and row counts) are small pandas frames, as on
DuckDB (types named the DuckDB way by nyckeltal.engine). The integrity queries take the
reporting currency as a literal (DuckDB reads it from a session variable). No Data Docs are
built (they are a page of the DuckDB file context); the outcome and its messages are the same.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from nyckeltal.contract import TABLES, TABLES_BY_KEY
from nyckeltal.engine import Engine
from nyckeltal.quality import assets, project
from nyckeltal.quality.outcome import Failure, SuiteResult, ValidationOutcome
from nyckeltal.quality.runner import (
    failure_of,
    severity_overrides,
    source_parameters,
    utc_naive,
)
from nyckeltal.quality.severity import ERROR, SeverityOverrides
from nyckeltal.quality.spec import SuiteSpec

if TYPE_CHECKING:
    from nyckeltal.context import RunContext

Log = Callable[[str], None]
ENGINE_DATASOURCE = "nyckeltal_engine"


def _suite(spec: SuiteSpec) -> Any:
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    document = spec.to_json_dict()
    return ExpectationSuite(
        name=spec.name,
        expectations=[
            ExpectationConfiguration(
                type=item["type"], kwargs=item["kwargs"], meta=item["meta"], id=item["id"]
            )
            for item in document["expectations"]
        ],
        meta=document["meta"],
        notes=document["notes"],
    )


class _Batches:
    """The GX batch definition of each suite on the engine (Engine.gx_batch), and its batch
    parameters (Engine.gx_batch_parameters)."""

    def __init__(
        self, context: Any, engine: Engine, connection: Any, reporting_currency: str
    ) -> None:
        self.engine = engine
        self.connection = connection
        self.reporting_currency = reporting_currency
        self.runtime = context.data_sources.add_pandas(f"{ENGINE_DATASOURCE}_runtime")
        self.source = engine.gx_datasource(context, ENGINE_DATASOURCE)

    def query(self, spec: SuiteSpec) -> str:
        return assets.asset_query(spec, reporting_currency=self.reporting_currency)

    def definition(self, spec: SuiteSpec) -> Any:
        kind = assets.engine_asset_type(spec)
        if kind == assets.DATAFRAME_ASSET:
            asset = self.runtime.add_dataframe_asset(spec.name)
            return asset.add_batch_definition_whole_dataframe(spec.name)
        if kind == assets.TABLE_ASSET:
            return self.engine.gx_batch(self.source, spec.name, table=assets.table_asset(spec))
        return self.engine.gx_batch(self.source, spec.name, query=self.query(spec))

    def parameters(self, spec: SuiteSpec, in_scope: Sequence[str]) -> dict[str, Any] | None:
        kind = assets.engine_asset_type(spec)
        if kind == assets.DATAFRAME_ASSET:
            return {"dataframe": assets.runtime_frame(self.connection, spec, in_scope)}
        if kind == assets.TABLE_ASSET:
            return self.engine.gx_batch_parameters(self.connection, relation=spec_relation(spec))
        return self.engine.gx_batch_parameters(self.connection, query=self.query(spec))

    def columns(self, spec: SuiteSpec, parameters: dict[str, Any] | None) -> list[str]:
        kind = assets.engine_asset_type(spec)
        if parameters is not None:
            return [str(column) for column in parameters["dataframe"].columns]
        if kind == assets.QUERY_ASSET:
            described = self.connection.execute(
                f"select * from ({self.query(spec)}) as batch limit 0"
            ).description
            return [column[0] for column in described or ()]
        schema, name = spec_relation(spec).split(".")
        actual = self.connection.table_columns(schema, name)
        table = TABLES_BY_KEY.get(spec.table or "")
        if table is None:
            return list(actual)
        return [column.name for column in table.columns if column.name in actual]


def spec_relation(spec: SuiteSpec) -> str:
    return assets.validated_relation(spec)


def _run_suite(
    context: Any,
    batches: _Batches,
    spec: SuiteSpec,
    in_scope: Sequence[str],
    expectation_parameters: dict[str, Any],
    run_id: str,
    run_time: dt.datetime,
    overrides: SeverityOverrides,
) -> SuiteResult:
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.core.validation_definition import ValidationDefinition

    started = time.perf_counter()
    result = SuiteResult(suite=spec.name, table=spec.table, kind=spec.kind)
    kind = assets.engine_asset_type(spec)
    connection = batches.connection
    try:
        missing = assets.missing_relation(connection, spec)
        if missing:
            raise LookupError(missing)
        parameters = batches.parameters(spec, in_scope)
        columns = batches.columns(spec, parameters)
        suite = context.suites.add(_suite(spec))
        definition = context.validation_definitions.add(
            ValidationDefinition(name=spec.name, data=batches.definition(spec), suite=suite)
        )
        label = spec.kind.replace("_", " ") if kind == assets.DATAFRAME_ASSET else "all rows"
        validation = definition.run(
            batch_parameters=parameters,
            expectation_parameters=expectation_parameters,
            result_format={**project.RESULT_FORMAT, "unexpected_index_column_names": columns},
            run_id=RunIdentifier(run_name=f"{run_id} {label}", run_time=run_time),
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
    except (LookupError, *batches.engine.read_errors()) as error:
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


def run_checkpoint(
    name: str,
    context: RunContext,
    *,
    run_started_at: dt.datetime | None = None,
    tables: Sequence[str] | None = None,
    log: Log = print,
) -> ValidationOutcome:
    """Run checkpoint `name` (`sources` or `marts`) on the context's engine."""
    import great_expectations as gx

    started = time.perf_counter()
    in_scope = tuple(tables) if tables is not None else tuple(t.key for t in TABLES)
    specs = [
        spec
        for spec in project.checkpoint_suites()[name]
        if not (spec.table in TABLES_BY_KEY and spec.table not in in_scope)
    ]
    moment = utc_naive(run_started_at)
    parameters = source_parameters(context, moment)
    overrides = severity_overrides(context)
    run_time = dt.datetime.now(dt.UTC)
    run_id = f"{name}-{run_time:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    engine = context.engine
    log(f"Validating {name} on {engine.describe(context.warehouse)} (run {run_id})")
    from great_expectations.data_context.types.base import ProgressBarsConfig

    gx_context = gx.get_context(mode="ephemeral")
    gx_context.variables.progress_bars = ProgressBarsConfig(
        globally=False, metric_calculations=False
    )
    results: list[SuiteResult] = []
    with engine.connect(context.warehouse) as connection:
        batches = _Batches(gx_context, engine, connection, context.reporting_currency)
        for spec in specs:
            suite_result = _run_suite(
                gx_context, batches, spec, in_scope, parameters, run_id, run_time, overrides
            )
            log(suite_result.progress_line())
            results.append(suite_result)
    return ValidationOutcome(
        checkpoint=name,
        suites=results,
        data_docs_path=None,
        run_id=run_id,
        seconds=time.perf_counter() - started,
    )
