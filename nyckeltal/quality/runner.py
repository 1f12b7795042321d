"""Running a checkpoint: every validation definition, batch by batch, then Data Docs.

A GX checkpoint passes the same batch parameters to all its validation definitions; ours
each need their own DataFrames (and the largest tables one per month), so the runner walks
the checkpoint's validation definitions itself, runs each on every batch that `batches`
fetches, aggregates the results per expectation and finally runs the checkpoint's action
(update Data Docs) once. Results of a suite's previous run are pruned first, so the store
and the Data Docs site hold the latest run of every suite and do not grow.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from nyckeltal import settings
from nyckeltal.contract import TABLES, TABLES_BY_KEY
from nyckeltal.quality import project
from nyckeltal.quality.batches import Batch, FetchSettings, batches
from nyckeltal.quality.outcome import MAX_EXAMPLES, Failure, SuiteResult, ValidationOutcome
from nyckeltal.quality.row_counts import max_row_drop
from nyckeltal.quality.severity import ERROR, effective_severity
from nyckeltal.quality.spec import INTEGRITY, SuiteSpec

Log = Callable[[str], None]


def utc_naive(moment: dt.datetime | None) -> dt.datetime:
    """`moment` (default: now) as a naive UTC datetime, like the raw timestamps."""
    moment = moment or dt.datetime.now(dt.UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


class _Aggregate:
    """One expectation's results summed over the batches of its suite."""

    def __init__(self, config: Any) -> None:
        self.type: str = config.type
        self.kwargs: dict[str, Any] = dict(config.kwargs)
        self.meta: dict[str, Any] = dict(config.meta or {})
        self.failed = False
        self.failing: int | None = 0
        self.checked: int | None = 0
        self.examples: list[dict[str, Any]] = []
        self.error: str | None = None

    def add(self, result: Any, frame: pd.DataFrame, kind: str) -> None:
        details = result.result or {}
        if self.checked is not None and "element_count" in details:
            self.checked += int(details["element_count"])
        elif "element_count" not in details:
            self.checked = None
        if result.exception_info and result.exception_info.get("raised_exception"):
            self.failed = True
            self.error = str(result.exception_info.get("exception_message"))
            return
        if result.success:
            return
        self.failed = True
        if "unexpected_count" in details and self.failing is not None:
            self.failing += int(details["unexpected_count"])
        elif "unexpected_count" not in details:
            self.failing = None
        for index in details.get("partial_unexpected_index_list") or []:
            if len(self.examples) >= MAX_EXAMPLES:
                break
            if isinstance(index, dict) or index not in frame.index:
                continue
            row = frame.loc[index].to_dict()
            if kind == INTEGRITY:  # keep the row's identity and the failing flag only
                row = {
                    name: value
                    for name, value in row.items()
                    if not isinstance(value, bool) or name == self.kwargs.get("column")
                }
            self.examples.append(row)
        if not self.examples and details.get("observed_value") is not None:
            self.examples.append({"observed_value": details["observed_value"]})

    def failure(self, suite: SuiteSpec) -> Failure:
        default = str(self.meta.get("severity", ERROR))
        column = self.kwargs.get("column")
        return Failure(
            suite=suite.name,
            table=suite.table,
            expectation=self.type,
            kwargs=self.kwargs,
            severity=effective_severity(default, suite.name, self.type, column),
            failing_count=None if self.error else self.failing,
            # An integrity frame holds only offending rows: "n of n" would mislead.
            checked_count=None if suite.kind == INTEGRITY else self.checked,
            examples=tuple(self.examples),
            reason=str(self.meta.get("reason", "")),
            error=self.error,
        )


def _prune(directory: Path, suite: str) -> None:
    for folder in (
        directory / "uncommitted" / "validations" / suite,
        directory / "uncommitted" / "data_docs" / project.DATA_DOCS_SITE / "validations" / suite,
    ):
        shutil.rmtree(folder, ignore_errors=True)


def _run_suite(
    validation_definition: Any,
    spec: SuiteSpec,
    connection: duckdb.DuckDBPyConnection,
    fetch: FetchSettings,
    parameters: dict[str, Any],
    run_id: str,
    run_time: dt.datetime,
) -> SuiteResult:
    from great_expectations.core.run_identifier import RunIdentifier

    started = time.perf_counter()
    result = SuiteResult(suite=spec.name, table=spec.table, kind=spec.kind)
    aggregates: dict[str, _Aggregate] = {}
    try:
        batch: Batch
        for batch in batches(connection, spec, fetch):
            validation = validation_definition.run(
                batch_parameters={"dataframe": batch.frame},
                expectation_parameters=parameters,
                result_format=project.RESULT_FORMAT,
                run_id=RunIdentifier(run_name=f"{run_id} {batch.label}", run_time=run_time),
            )
            result.batches += 1
            result.rows += len(batch.frame)
            for expectation_result in validation.results:
                config = expectation_result.expectation_config
                aggregate = aggregates.setdefault(config.id, _Aggregate(config))
                aggregate.add(expectation_result, batch.frame, spec.kind)
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
    result.failures += [agg.failure(spec) for agg in aggregates.values() if agg.failed]
    result.seconds = time.perf_counter() - started
    return result


def run_checkpoint(
    name: str,
    warehouse: Path,
    *,
    run_started_at: dt.datetime | None = None,
    tables: Sequence[str] | None = None,
    log: Log = print,
) -> ValidationOutcome:
    """Run checkpoint `name` (`sources` or `marts`) on the warehouse; never raises on bad data.

    `tables` (contract keys) limits the source suites to those tables; None means all.
    """
    started = time.perf_counter()
    if tables is not None:
        unknown = sorted(set(tables) - set(TABLES_BY_KEY))
        if unknown:
            raise KeyError(f"unknown tables {unknown}; the contract has {sorted(TABLES_BY_KEY)}")
    directory = project.gx_dir()
    changed = project.write_project(directory)
    context = project.load_context(directory)
    checkpoint = context.checkpoints.get(name)
    specs = project.suites_by_name()
    in_scope = tuple(tables) if tables is not None else tuple(t.key for t in TABLES)
    fetch = FetchSettings(reporting_currency=settings.reporting_currency(), tables=in_scope)
    parameters = {"run_started_at": utc_naive(run_started_at), "max_row_drop": max_row_drop()}
    run_time = dt.datetime.now(dt.UTC)
    run_id = f"{name}-{run_time:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    log(f"Validating {name} of {warehouse} (run {run_id})")
    results: list[SuiteResult] = []
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        for validation_definition in checkpoint.validation_definitions:
            spec = specs[validation_definition.name]
            if spec.table in TABLES_BY_KEY and spec.table not in in_scope:
                continue
            _prune(directory, spec.name)
            suite_result = _run_suite(
                validation_definition, spec, connection, fetch, parameters, run_id, run_time
            )
            log(suite_result.progress_line())
            results.append(suite_result)
    changed_suites = {path.stem for path in changed if path.parent.name == "expectations"}
    docs = build_data_docs(context, directory, run_id, changed_suites)
    return ValidationOutcome(
        checkpoint=name,
        suites=results,
        data_docs_path=docs,
        run_id=run_id,
        seconds=time.perf_counter() - started,
    )


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
