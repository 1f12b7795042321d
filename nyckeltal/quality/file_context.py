"""Validating on DuckDB: the committed GX file context, its checkpoints and Data Docs.

GX computes every metric of a SQL asset inside DuckDB (duckdb-engine, read-only;
`duckdb_sql_shim` makes GX's SQL data source work there), so no table row travels to Python
except the few example rows of a failure. The runner (`runner.run_checkpoint`) runs the
checkpoint's validation definitions one by one; the checkpoint's action (update Data Docs)
runs once at the end (`data_docs`). Results of a suite's previous run are pruned first, so
the store and the Data Docs site hold the latest run of every suite and do not grow.

A refresh validates twice (the sources, then the marts) in one process: the GX context loaded
for the first is re-used by the second (`shared_context`: one per process, for the latest
GX folder and warehouse, reloaded when the project's generated files changed), which saves
a load of the context (seconds on a busy machine).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nyckeltal.quality import assets, duckdb_sql_shim, project
from nyckeltal.quality.batches import SuiteBatches
from nyckeltal.quality.row_counts import ensure_row_counts_table
from nyckeltal.quality.spec import SuiteSpec
from nyckeltal.settings import PACKAGE_PROJECT_DIR

if TYPE_CHECKING:
    from nyckeltal.context import RunContext


def _prune(directory: Path, suite: str) -> None:
    for folder in (
        directory / "uncommitted" / "validations" / suite,
        directory / "uncommitted" / "data_docs" / project.DATA_DOCS_SITE / "validations" / suite,
    ):
        shutil.rmtree(folder, ignore_errors=True)


# The GX context of the latest (GX folder, warehouse) this process loaded.
_SHARED: dict[tuple[Path, Path], Any] = {}


def shared_context(directory: Path, warehouse: Path, changed: bool) -> Any:
    """The GX file context of `directory` reading `warehouse`: the one this process loaded
    last for both, unless the project's generated files `changed` since (then loaded anew)."""
    key = (Path(directory).resolve(), Path(warehouse).resolve())
    if changed or key not in _SHARED:
        _SHARED.clear()
        _SHARED[key] = project.load_context(directory, warehouse)
    return _SHARED[key]


# The connect listener of each reporting-currency statement (an engine of a shared context
# gets the run's one, and only that).
_LISTENERS: dict[str, Any] = {}


def _currency_listener(statement: str) -> Any:
    """The connect listener that runs `statement`, one function per statement."""
    if statement not in _LISTENERS:

        def on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute(statement)

        _LISTENERS[statement] = on_connect
    return _LISTENERS[statement]


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
        for statement, listener in list(_LISTENERS.items()):  # another run's currency
            if statement != self.statement and event.contains(engine, "connect", listener):
                event.remove(engine, "connect", listener)
        listener = _currency_listener(self.statement)
        if not event.contains(engine, "connect", listener):
            event.listen(engine, "connect", listener)
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


class FileContextBatches(SuiteBatches):
    """The checkpoint's validation definitions of the committed GX file context (its
    generated files rewritten first when stale), reading the DuckDB warehouse file."""

    mode = "file"

    def __init__(self, context: RunContext, checkpoint: str) -> None:
        super().__init__(context, checkpoint)
        warehouse = context.warehouse
        duckdb_sql_shim.apply()
        if checkpoint == project.SOURCES_CHECKPOINT:
            ensure_row_counts_table(warehouse)  # before any read-only connection opens
        self.directory = context.gx_dir
        self.changed = project.write_project(self.directory, context.project_dir)
        self.gx = shared_context(self.directory, warehouse, bool(self.changed))
        self.definitions = {
            definition.name: definition
            for definition in self.gx.checkpoints.get(checkpoint).validation_definitions
        }
        self.where = f"of {warehouse}"
        self.engines = _Engines(context.reporting_currency)

    @contextmanager
    def connected(self) -> Iterator[None]:
        # The runner's own catalogue queries go through duckdb-engine too: DuckDB refuses a
        # second connection to the same file with another configuration in one process.
        catalogue = _catalogue_engine(self.context.warehouse)
        try:
            with catalogue.connect() as sql_connection:
                self.connection = sql_connection.connection.driver_connection
                # The integrity queries read the reporting currency (the compiled path runs
                # them on this connection).
                self.connection.execute(self.engines.statement)
                yield
        finally:
            self.engines.dispose()
            catalogue.dispose()

    def kind(self, spec: SuiteSpec) -> str:
        return assets.asset_type(spec)

    def query(self, spec: SuiteSpec) -> str:
        return assets.asset_query(spec, project=self.context.project_dir)

    def before(self, spec: SuiteSpec) -> None:
        self.engines.prepare(self.definitions[spec.name])
        _prune(self.directory, spec.name)

    def definition(self, spec: SuiteSpec) -> Any:
        return self.definitions[spec.name]

    def results_store(self) -> Any | None:
        return self.gx.validation_results_store

    def data_docs(self, run_id: str) -> Path | None:
        changed = {path.stem for path in self.changed if path.parent.name == "expectations"}
        return build_data_docs(self.gx, self.directory, run_id, changed, self.context.project_dir)


def build_data_docs(
    context: Any,
    directory: Path,
    run_id: str,
    changed_suites: set[str] | None = None,
    project_dir: Path = PACKAGE_PROJECT_DIR,
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
    for name in project.suites_by_name(project_dir):
        if (
            name in (changed_suites or set())
            or not (site / "expectations" / f"{name}.html").exists()
        ):
            resources.append(ExpectationSuiteIdentifier(name=name))
    if resources:
        context.build_data_docs(site_names=[project.DATA_DOCS_SITE], resource_identifiers=resources)
    index = project.data_docs_index(directory)
    return index if index.exists() else None
