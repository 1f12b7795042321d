"""Running a suite on the compiled path and returning what GX's own run returns.

`validate` compiles the suite of a validation definition (`compiled`), runs its one counts
query (and one example query per failing row-reading expectation) on the batch, and builds
GX's public result objects from the answers: an `ExpectationValidationResult` per expectation,
shaped as GX's SUMMARY format shapes it (`_map_result`), in GX's order (grouped by column, as
its validator orders them), inside an `ExpectationSuiteValidationResult` that is written to
the context's validation results store, where Data Docs read it. It returns None when the
suite does not compile or its query fails: the runner then runs GX's own execution, which
reports the same problem the GX way.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from contextlib import suppress
from copy import deepcopy
from typing import Any

from nyckeltal.loading.sql import quote
from nyckeltal.quality.compiled import (
    MULTICOLUMN,
    NULLITY,
    PAIR,
    PARTIAL_UNEXPECTED_COUNT,
    TABLE,
    ExpectationPlan,
    NotCompiled,
    Parameters,
    counts_query,
    examples_query,
    plan,
)

EXECUTION = "compiled"  # meta["nyckeltal_execution"] of a result written by this path

logger = logging.getLogger(__name__)


def _falls_back(suite: str, reason: object) -> None:
    """Say why a suite runs on GX's own execution (the run's log, --verbose)."""
    logger.info("suite %s runs on Great Expectations' own execution: %s", suite, reason)


def batch_source(definition: Any, query: str | None) -> str:
    """The batch of a validation definition as SQL: its table, or its query."""
    if query is not None:
        return f"({query}) as batch_query"
    asset = definition.batch_definition.data_asset
    table = quote(asset.table_name)
    return f"{quote(asset.schema_name)}.{table}" if asset.schema_name else table


def table_result(config: Any, actual: Sequence[str]) -> tuple[bool, dict[str, Any]]:
    """GX's expect_column_to_exist / expect_table_columns_to_match_set on SQL (column names
    matched case-insensitively, a name in double quotes exactly)."""
    kwargs = config.kwargs
    if config.type == "expect_column_to_exist":
        return kwargs["column"] in actual, {}
    folded = {name.lower(): name for name in actual}
    unmatched_actual = set(folded)
    missing = []
    for name in kwargs["column_set"] or []:
        if name.startswith('"') and name.endswith('"'):
            key = name[1:-1].lower() if name[1:-1] in actual else None
        else:
            key = name.lower() if name.lower() in folded else None
        if key is None:
            missing.append(name)
        else:
            unmatched_actual.discard(key)
    observed = sorted(actual)
    if not missing and not unmatched_actual:
        return True, {"observed_value": observed}
    mismatched: dict[str, Any] = {}
    if unmatched_actual:
        mismatched["unexpected"] = sorted(folded[key] for key in unmatched_actual)
    if missing:
        mismatched["missing"] = sorted(missing)
    success = not missing if not kwargs.get("exact_match", True) else False
    return success, {"observed_value": observed, "details": {"mismatched": mismatched}}


def _map_result(
    item: ExpectationPlan,
    counts: Mapping[str, int],
    rows: Sequence[Sequence[Any]],
    columns: Sequence[str],
) -> tuple[bool, dict[str, Any]]:
    """GX's SUMMARY result of a map expectation (`_format_map_output`)."""
    element = counts[f"counted_{item.position}"]
    considered = counts[f"considered_{item.position}"]
    unexpected = counts[f"unexpected_{item.position}"]
    nonnull = None if item.kind == NULLITY else considered
    checked = element if nonnull is None else nonnull
    success = unexpected == 0 or element == 0 or checked == 0
    domain = len(item.columns)
    values: list[Any] = [
        row[-1]
        if domain == 1
        else tuple(row[-domain:])
        if item.kind == PAIR
        else dict(zip(item.columns, row[-domain:], strict=True))
        for row in rows
    ]
    total = unexpected / element * 100 if element else None
    nonmissing = total
    # GX sums over no rows: its unexpected count of an empty domain is None.
    result: dict[str, Any] = {
        "element_count": element,
        "unexpected_count": unexpected if element else None,
    }
    if nonnull is not None:
        nonmissing = unexpected / nonnull * 100 if element and nonnull else None
    result["unexpected_percent"] = nonmissing
    result["partial_unexpected_list"] = values[:PARTIAL_UNEXPECTED_COUNT]
    if item.type != "expect_column_values_to_be_null":
        result["unexpected_index_column_names"] = list(columns)
    if nonnull is not None:
        result["missing_count"] = element - nonnull
        result["missing_percent"] = (element - nonnull) / element * 100 if element else None
        result["unexpected_percent_total"] = total
        result["unexpected_percent_nonmissing"] = nonmissing
    hashable = [tuple(v.values()) if isinstance(v, dict) else v for v in values]
    with suppress(TypeError):  # GX leaves the counts out when the values do not sort
        result["partial_unexpected_counts"] = [
            {"value": value, "count": count}
            for value, count in sorted(
                Counter(hashable).most_common(PARTIAL_UNEXPECTED_COUNT),
                key=lambda pair: (-pair[1], pair[0]),
            )
        ]
    if item.kind != MULTICOLUMN:  # GX's SQL multicolumn expectations return no index list
        result["partial_unexpected_index_list"] = [
            dict(zip(columns, row[: len(columns)], strict=True)) for row in rows
        ]
    return success, result


def _gx_order(configs: Sequence[Any]) -> list[int]:
    """GX's validator evaluates (and lists) expectations grouped by their `column`, groups in
    order of first appearance, the ones without a column as one group."""
    groups: dict[str, list[int]] = {}
    for index, config in enumerate(configs):
        column = config.kwargs.get("column")
        groups.setdefault(column if isinstance(column, str) else "\0", []).append(index)
    return [index for group in groups.values() for index in group]


def _plans(
    suite: str, configs: Sequence[Any], types: Mapping[str, str], bind: Parameters
) -> list[ExpectationPlan] | None:
    """Every expectation compiled (against the batch's columns `types`), or None (why:
    logged). A malformed expectation (a KeyError or TypeError while compiling it) falls back
    too: GX's own execution reports it in its words."""
    try:
        return [
            plan(index, config.type, dict(config.kwargs), list(types), types, bind)
            for index, config in enumerate(configs)
        ]
    except (NotCompiled, KeyError, TypeError) as reason:
        _falls_back(suite, reason if isinstance(reason, NotCompiled) else repr(reason))
        return None


def _results(
    connection: Any,
    source: str,
    plans: Sequence[ExpectationPlan],
    configs: Sequence[Any],
    columns: Sequence[str],
    types: Mapping[str, str],
    bind: Parameters,
) -> list[Any]:
    """The counts query, the failing expectations' example queries, GX's results."""
    from great_expectations.core.expectation_validation_result import (
        ExpectationValidationResult,
    )

    sql = counts_query(source, plans)
    cursor = connection.execute(sql, bind.used_by(sql))
    names = [column[0] for column in cursor.description]
    counts = dict(zip(names, cursor.fetchone(), strict=True))
    results = []
    for index in _gx_order(configs):
        item, config = plans[index], configs[index]
        if item.kind == TABLE:
            success, result = table_result(config, list(types))
        else:
            rows: list[Any] = []
            if counts[f"unexpected_{index}"]:
                sql = examples_query(source, item, columns)
                rows = connection.execute(sql, bind.used_by(sql)).fetchall()
            success, result = _map_result(item, counts, rows, columns)
        results.append(
            ExpectationValidationResult(success=success, expectation_config=config, result=result)
        )
    return results


def validate(
    definition: Any,
    connection: Any,
    query: str | None,
    columns: Sequence[str],
    expectation_parameters: Mapping[str, Any],
    run_id: Any,
    store: Any,
    read_errors: tuple[type[BaseException], ...],
) -> Any | None:
    """The suite of `definition` on its batch (`query`: a query asset's SQL, None for its
    table) as GX's ExpectationSuiteValidationResult, stored; None when GX must run it.
    `columns`: the batch columns shown in example rows; `store`: the context's validation
    results store."""
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
    )

    source = batch_source(definition, query)
    suite = definition.suite.name
    try:
        described = connection.execute(f"describe select * from {source}").fetchall()
    except read_errors as error:
        _falls_back(suite, f"its batch could not be described: {error}")
        return None
    types = {str(row[0]): str(row[1]) for row in described}
    asset = definition.batch_definition.data_asset
    batch_id = f"{asset.datasource.name}-{asset.name}"
    configs = []
    for expectation in definition.suite.expectations:
        config = deepcopy(expectation.configuration)
        config.process_suite_parameters(suite_parameters=dict(expectation_parameters))
        config.kwargs["batch_id"] = batch_id
        configs.append(config)
    bind = Parameters()
    plans = _plans(suite, configs, types, bind)
    if plans is None:
        return None
    try:
        results = _results(connection, source, plans, configs, columns, types, bind)
    except read_errors as error:
        _falls_back(suite, f"its query failed: {error}")
        return None
    successful = sum(1 for result in results if result.success)
    validation = ExpectationSuiteValidationResult(
        success=successful == len(results),
        results=results,
        suite_name=definition.suite.name,
        statistics={
            "evaluated_expectations": len(results),
            "successful_expectations": successful,
            "unsuccessful_expectations": len(results) - successful,
            "success_percent": successful / len(results) * 100 if results else None,
        },
        meta=_meta(definition, run_id, query),
        batch_id=batch_id,
    )
    _store(store, definition.suite.name, validation, run_id, batch_id)
    return validation


def _meta(definition: Any, run_id: Any, query: str | None) -> dict[str, Any]:
    import great_expectations as gx

    asset = definition.batch_definition.data_asset
    datasource = asset.datasource.name
    spec: dict[str, Any] = {"batch_identifiers": {}, "data_asset_name": asset.name}
    if query is None:
        spec.update(schema_name=asset.schema_name, table_name=asset.table_name, type="table")
    else:
        spec.update(query=query, type="query")
    return {
        "active_batch_definition": {
            "batch_identifiers": {},
            "data_asset_name": asset.name,
            "data_connector_name": "fluent",
            "datasource_name": datasource,
        },
        "batch_markers": {"ge_load_time": f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S.%fZ}"},
        "batch_parameters": None,
        "batch_spec": spec,
        "checkpoint_id": None,
        "great_expectations_version": gx.__version__,
        "nyckeltal_execution": EXECUTION,
        "run_id": run_id,
        "validation_id": definition.id,
        "validation_time": run_id.run_time,
    }


def _store(store: Any, suite_name: str, validation: Any, run_id: Any, batch_id: str) -> None:
    """Write the result where GX's own run writes it (Data Docs render it from there)."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    suite = ExpectationSuiteIdentifier(name=suite_name)
    store.store_validation_results(
        suite_validation_result=validation,
        suite_validation_result_identifier=ValidationResultIdentifier(
            expectation_suite_identifier=suite, run_id=run_id, batch_identifier=batch_id
        ),
        expectation_suite_identifier=suite,
    )
