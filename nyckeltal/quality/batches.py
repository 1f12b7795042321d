"""Where a suite's batch comes from: what differs per engine when a checkpoint is validated.

The runner (`runner.run_checkpoint`) walks a checkpoint's suites the same way on every
engine; a `SuiteBatches` gives it what differs. The engine chooses which one by its
`gx_context_mode` (Great Expectations' own names for a data context):

- `file` (DuckDB, `file_context.FileContextBatches`): the committed GX file context
  (`expectations/`), whose SQL data sources read the warehouse file; its checkpoint's
  validation definitions, pruned results and Data Docs;
- `ephemeral` (PostgreSQL, Spark, `EngineBatches` here): an ephemeral GX context whose data
  source is the engine's (`Engine.gx_datasource`): on PostgreSQL a GX SQL data source, one
  table asset per `rows`/`mart` suite and one query asset per `integrity`/`scorecard`/
  `reconciliation` suite, GX computing every metric as SQL in the server; on Spark each
  suite's batch is the Spark DataFrame of its table or query. The two suites about tables
  (schema types and row counts) are small pandas frames there (types named the DuckDB way
  by nyckeltal.engine); the integrity queries take the reporting currency as a literal
  (DuckDB reads it from a session variable). No Data Docs are built (they are a page of the
  DuckDB file context); the outcome and its messages are the same.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from nyckeltal.quality import assets
from nyckeltal.quality.spec import SuiteSpec

if TYPE_CHECKING:
    from nyckeltal.context import RunContext

ENGINE_DATASOURCE = "nyckeltal_engine"


class SuiteBatches(ABC):
    """The GX side of validating checkpoint `checkpoint` on the run's engine."""

    # The engine's `gx_context_mode` this serves.
    mode: ClassVar[str]
    # Where the data is, for the first progress line ("of <file>", "on <server>").
    where: str
    # The read-only connection with DuckDB's interface (nyckeltal.engine), while `connected`.
    connection: Any

    def __init__(self, context: RunContext, checkpoint: str) -> None:
        self.context = context
        self.checkpoint = checkpoint

    @abstractmethod
    def connected(self) -> Any:
        """A context manager: `connection` is open inside it, everything is released after."""

    @abstractmethod
    def kind(self, spec: SuiteSpec) -> str:
        """The asset of a suite: assets.TABLE_ASSET, QUERY_ASSET or DATAFRAME_ASSET."""

    @abstractmethod
    def query(self, spec: SuiteSpec) -> str:
        """The SQL of a query asset."""

    @abstractmethod
    def definition(self, spec: SuiteSpec) -> Any:
        """The GX validation definition of a suite."""

    def before(self, spec: SuiteSpec) -> None:
        """Called before each suite of the checkpoint runs (whether or not its data exists);
        nothing by default."""
        return None

    def parameters(self, spec: SuiteSpec, in_scope: Sequence[str]) -> dict[str, Any] | None:
        """The batch parameters of a suite (None: its data source reads the data itself)."""
        return None

    def data_docs(self, run_id: str) -> Path | None:
        """The checkpoint's action after the run: the Data Docs index page (None: none)."""
        return None

    def results_store(self) -> Any | None:
        """The GX validation results store the compiled path writes to (`compiled_run`), or
        None: this engine's suites run on GX's own execution only."""
        return None


def gx_suite(spec: SuiteSpec) -> Any:
    """A suite as a GX ExpectationSuite (the file context reads the same JSON from disk)."""
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


class EngineBatches(SuiteBatches):
    """An ephemeral GX context on the engine's data source (see the module doc)."""

    mode = "ephemeral"

    def __init__(self, context: RunContext, checkpoint: str) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        super().__init__(context, checkpoint)
        self.engine = context.engine
        self.where = f"on {self.engine.describe(context.warehouse)}"
        self.gx = gx.get_context(mode="ephemeral")
        self.gx.variables.progress_bars = ProgressBarsConfig(
            globally=False, metric_calculations=False
        )

    @contextmanager
    def connected(self) -> Iterator[None]:
        with self.engine.connect(self.context.warehouse) as connection:
            self.connection = connection
            self.runtime = self.gx.data_sources.add_pandas(f"{ENGINE_DATASOURCE}_runtime")
            self.source = self.engine.gx_datasource(self.gx, ENGINE_DATASOURCE)
            yield

    def kind(self, spec: SuiteSpec) -> str:
        return assets.engine_asset_type(spec)

    def query(self, spec: SuiteSpec) -> str:
        return assets.asset_query(
            spec,
            reporting_currency=self.context.reporting_currency,
            project=self.context.project_dir,
        )

    def parameters(self, spec: SuiteSpec, in_scope: Sequence[str]) -> dict[str, Any] | None:
        kind = self.kind(spec)
        if kind == assets.DATAFRAME_ASSET:
            return {"dataframe": assets.runtime_frame(self.connection, spec, in_scope)}
        if kind == assets.TABLE_ASSET:
            relation = assets.validated_relation(spec)
            return self.engine.gx_batch_parameters(self.connection, relation=relation)
        return self.engine.gx_batch_parameters(self.connection, query=self.query(spec))

    def _batch_definition(self, spec: SuiteSpec) -> Any:
        kind = self.kind(spec)
        if kind == assets.DATAFRAME_ASSET:
            asset = self.runtime.add_dataframe_asset(spec.name)
            return asset.add_batch_definition_whole_dataframe(spec.name)
        if kind == assets.TABLE_ASSET:
            return self.engine.gx_batch(self.source, spec.name, table=assets.table_asset(spec))
        return self.engine.gx_batch(self.source, spec.name, query=self.query(spec))

    def definition(self, spec: SuiteSpec) -> Any:
        from great_expectations.core.validation_definition import ValidationDefinition

        suite = self.gx.suites.add(gx_suite(spec))
        return self.gx.validation_definitions.add(
            ValidationDefinition(name=spec.name, data=self._batch_definition(spec), suite=suite)
        )
