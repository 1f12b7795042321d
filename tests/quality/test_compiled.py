"""The compiled path agrees with GX's own execution on every expectation of every suite.

Both checkpoints run twice on the built demo (NYCKELTAL_GX_EXECUTION=gx, then compiled), once
clean and once with bad rows planted for every expectation (`planted_rows`); each run writes
GX validation results to its own GX folder. Per expectation (by its id) the two results must
agree: success, element, unexpected and missing counts, the example rows GX returns (in its
order), observed values and whether it raised; the runner's failures (messages, counts,
examples, severities) must be equal. The clean demo compiles every suite; on the broken one a
suite whose column is missing falls back to GX.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import pytest
from planted_rows import plant
from shared_warehouses import copy_warehouse

from nyckeltal.context import RunContext
from nyckeltal.quality import assets, compiled, compiled_run, project
from nyckeltal.quality.compiled import Parameters
from nyckeltal.quality.compiled_run import EXECUTION, table_result
from nyckeltal.quality.outcome import ValidationOutcome
from nyckeltal.quality.runner import run_checkpoint
from nyckeltal.settings import Settings

CHECKPOINTS = (project.SOURCES_CHECKPOINT, project.MARTS_CHECKPOINT)
PATHS = ("gx", EXECUTION)
MOMENT = dt.datetime(2026, 12, 7, 6, 0)
COMPARED = (
    "element_count",
    "unexpected_count",
    "missing_count",
    "partial_unexpected_index_list",
    "partial_unexpected_list",
    "partial_unexpected_counts",
    "observed_value",
    "details",
)

Results = dict[str, dict[str, Any]]  # expectation id -> stored result


def stored_results(gx_dir: Path) -> dict[str, tuple[dict[str, Any], Results]]:
    """Suite -> (its validation's meta, its expectations' results by id), as stored."""
    suites = {}
    for path in sorted((gx_dir / "uncommitted" / "validations").glob("*/*/*/*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        results = {item["expectation_config"]["id"]: item for item in document["results"]}
        suites[document["suite_name"]] = (document["meta"], results)
    return suites


def validate_both(warehouse: Path, folder: Path) -> dict[str, tuple[dict, list]]:
    """Path -> (stored results per suite, the outcomes of both checkpoints)."""
    runs = {}
    for execution in PATHS:
        gx_dir = folder / f"gx_{execution}"
        context = RunContext.build(
            Settings(gx_execution=execution, gx_dir=gx_dir), warehouse=warehouse
        )
        outcomes = [
            run_checkpoint(name, context, run_started_at=MOMENT, log=lambda _: None)
            for name in CHECKPOINTS
        ]
        runs[execution] = (stored_results(gx_dir), outcomes)
    return runs


def assert_agree(runs: dict[str, tuple[dict, list[ValidationOutcome]]]) -> Counter[str]:
    """Every expectation's result and every failure agree; returns the failing expectation
    types the compiled path evaluated itself."""
    (expected, gx_outcomes), (actual, outcomes) = runs["gx"], runs[EXECUTION]
    assert set(actual) == set(expected) == set(project.suites_by_name())
    failing: Counter[str] = Counter()
    for suite, (_, gx_results) in expected.items():
        compiled_meta, results = actual[suite]
        assert list(results) == list(gx_results), f"{suite}: results in another order"
        for identifier, gx_result in gx_results.items():
            result = results[identifier]
            where = f"{suite} {gx_result['expectation_config']['type']} {identifier}"
            assert result["success"] == gx_result["success"], where
            assert result["expectation_config"] == gx_result["expectation_config"], where
            raised = result["exception_info"].get("raised_exception")
            assert raised == gx_result["exception_info"].get("raised_exception"), where
            for key in COMPARED:
                assert result["result"].get(key) == gx_result["result"].get(key), (where, key)
            if not result["success"] and compiled_meta.get("nyckeltal_execution") == EXECUTION:
                failing[gx_result["expectation_config"]["type"]] += 1
    for gx_outcome, outcome in zip(gx_outcomes, outcomes, strict=True):
        assert outcome.failures == gx_outcome.failures
        assert [(s.suite, s.rows, s.expectations) for s in outcome.suites] == [
            (s.suite, s.rows, s.expectations) for s in gx_outcome.suites
        ]
    return failing


@pytest.fixture(scope="module")
def demo_copy(
    dbt_built_warehouse: Callable[[str | Path], Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return copy_warehouse(dbt_built_warehouse("demo"), tmp_path_factory.mktemp("compiled"))


def test_both_paths_agree_on_the_clean_demo_and_every_suite_compiles(
    demo_copy: Path, tmp_path: Path
) -> None:
    runs = validate_both(demo_copy, tmp_path)
    assert assert_agree(runs) == Counter()
    for suite, (meta, _) in runs[EXECUTION][0].items():
        assert meta.get("nyckeltal_execution") == EXECUTION, f"{suite} ran in GX"
    for outcome in runs[EXECUTION][1]:
        assert outcome.passed
        # Data Docs render the compiled results.
        assert outcome.data_docs_path and outcome.data_docs_path.exists()
        assert outcome.run_id in outcome.data_docs_path.read_text(encoding="utf-8")


def test_both_paths_agree_on_planted_bad_rows_of_every_type(
    demo_copy: Path, tmp_path: Path
) -> None:
    broken = copy_warehouse(demo_copy, tmp_path, "broken.duckdb")
    plant(broken, project.all_suites())
    runs = validate_both(broken, tmp_path)
    failing = assert_agree(runs)
    row_types = {kind for kind, group in compiled.KINDS.items() if group != compiled.TABLE}
    assert row_types <= set(failing), row_types - set(failing)
    fallen_back = {
        suite
        for suite, (meta, _) in runs[EXECUTION][0].items()
        if meta.get("nyckeltal_execution") != EXECUTION
    }
    # The suites reading a column that the planted schema changes dropped run in GX; the
    # compiled path's answer to their table-level expectations is still GX's.
    assert fallen_back == {
        "raw_marketing__expenses",
        "raw_marketing__expenses__schema",
        "marts__nps_monthly",
    }
    table_failures: Counter[str] = Counter()
    for suite in sorted(fallen_back):
        table_failures.update(assert_table_results_agree(broken, suite, runs["gx"][0][suite][1]))
    assert table_failures == Counter(
        {"expect_column_to_exist": 1, "expect_table_columns_to_match_set": 1}
    )


def assert_table_results_agree(warehouse: Path, suite: str, results: Results) -> list[str]:
    """The compiled path's answer to each table-level expectation of a suite that GX ran is
    GX's result; returns the failing types."""
    spec = project.suites_by_name()[suite]
    source = assets.validated_relation(spec) if spec.table else ""
    if assets.asset_type(spec) == assets.QUERY_ASSET:
        source = f"({assets.asset_query(spec)}) as batch_query"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        described = connection.execute(f"describe select * from {source}").fetchall()
    columns = [str(row[0]) for row in described]
    failing = []
    for gx_result in results.values():
        config = SimpleNamespace(**gx_result["expectation_config"])
        if compiled.KINDS[config.type] != compiled.TABLE:
            continue
        success, result = table_result(config, columns)
        assert (success, result) == (gx_result["success"], gx_result["result"]), suite
        if not success:
            failing.append(config.type)
    return failing


# --------------------------------------------------------------------------- the compiler alone


def test_row_conditions_and_values_are_bound_parameters_never_sql_text() -> None:
    bind = compiled.Parameters()
    condition = {
        "type": "and",
        "conditions": [
            {"type": "comparison", "column": {"name": "name"}, "operator": "IN",
             "parameter": ["O'Brien", "x); drop table t; --"]},
            {"type": "comparison", "column": {"name": "score"}, "operator": ">=", "parameter": 3},
            {"type": "nullity", "column": {"name": "note"}, "is_null": False},
        ],
    }  # fmt: skip
    columns = ["name", "score", "note"]
    sql = compiled.row_condition_sql(condition, columns, bind)
    assert sql == '(("name" in ($p0, $p1)) and ("score" >= $p2) and ("note" is not null))'
    assert bind.values == {"p0": "O'Brien", "p1": "x); drop table t; --", "p2": 3}
    item = compiled.plan(
        0,
        "expect_column_values_to_match_regex",
        {"column": "name", "regex": "^[A-Z]'$", "row_condition": condition},
        columns,
        {"name": "VARCHAR"},
        bind,
    )
    with duckdb.connect() as connection:
        connection.execute("create table t (name varchar, score integer, note varchar)")
        connection.execute(
            "insert into t values ('O''Brien', 3, 'n'), ('O''Brien', 2, 'n'), "
            "('x); drop table t; --', 5, null), (null, 9, 'n')"
        )
        sql = compiled.counts_query("t", [item])
        row = connection.execute(sql, bind.used_by(sql)).fetchone()
    assert row == (1, 1, 1)  # counted (the condition), considered (non-null), unexpected


@pytest.mark.parametrize(
    ("type_", "kwargs"),
    [
        ("expect_column_values_to_be_increasing", {"column": "name"}),
        (
            "expect_column_values_to_be_in_set",
            {"column": "name", "value_set": ["a"], "mostly": 0.9},
        ),
        ("expect_column_values_to_not_be_null", {"column": "missing"}),
        ("expect_column_values_to_be_between", {"column": "name", "min_value": "a"}),
        ("expect_column_values_to_be_null", {"column": "name", "row_condition": 'name == "a"'}),
        ("expect_column_values_to_be_between", {"column": "n", "min_value": 2, "max_value": 1}),
    ],
    ids=[
        "unknown type",
        "mostly",
        "missing column",
        "between on text",
        "string condition",
        "inverted bounds",
    ],
)
def test_what_does_not_compile_is_left_to_gx(type_: str, kwargs: dict[str, Any]) -> None:
    with pytest.raises(compiled.NotCompiled):
        types = {"name": "VARCHAR", "n": "INTEGER"}
        compiled.plan(0, type_, kwargs, list(types), types, compiled.Parameters())


def test_a_suite_that_falls_back_to_gx_says_why(caplog: pytest.LogCaptureFixture) -> None:
    types = {"name": "VARCHAR", "n": "INTEGER"}
    unknown = SimpleNamespace(type="expect_column_values_to_be_increasing", kwargs={"column": "n"})
    malformed = SimpleNamespace(
        type="expect_column_values_to_match_regex", kwargs={"column": "name"}
    )
    with caplog.at_level(logging.INFO, logger=compiled_run.__name__):
        assert compiled_run._plans("raw_crm.customers", [unknown], types, Parameters()) is None
        assert compiled_run._plans("raw_crm.leads", [malformed], types, Parameters()) is None
    assert [record.getMessage() for record in caplog.records] == [
        "suite raw_crm.customers runs on Great Expectations' own execution: "
        "expectation type expect_column_values_to_be_increasing",
        "suite raw_crm.leads runs on Great Expectations' own execution: KeyError('regex')",
    ]
