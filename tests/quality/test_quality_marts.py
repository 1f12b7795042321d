"""Mart suites on hand-made marts: bad rows are caught, legitimate nulls are not.

The kpi_scorecard cases each run the scorecard's suites only (every suite fetches its own
DataFrame, so the others cannot see those rows); the wide marts are broken all at once and
validated by the whole `marts` checkpoint in one run; the clean marts pass every suite.
"""

from __future__ import annotations

import shutil
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import WIDE_MART_ROWS, execute
from test_quality_sources import find

from nyckeltal import pipeline
from nyckeltal.context import RunContext
from nyckeltal.quality import project
from nyckeltal.quality.mart_contracts import mart_contracts
from nyckeltal.quality.mart_suites import SCORECARD_MART, mart_suite_name
from nyckeltal.quality.outcome import Failure, ValidationOutcome
from nyckeltal.scorecard import SCORECARD_RELATION
from nyckeltal.settings import PACKAGE_PROJECT_DIR as PROJECT_DIR

ROW = (
    "insert into marts.kpi_scorecard values ('{kpi}', '2024-02-01', '2024-02-29', 'month', "
    "'{segment_type}', '{segment_value}', {numerator}, {denominator}, {value}, '{unit}', null, "
    "'{status}', null, true, {suppressed}, null, {currency_code})"
)


def row(**overrides: object) -> str:
    values: dict[str, object] = {
        "kpi": "nps",
        "segment_type": "touchpoint",
        "segment_value": "relationship",
        "numerator": "null",
        "denominator": "null",
        "value": "null",
        "unit": "score",
        "status": "no_target",
        "suppressed": "false",
    }
    values.update(overrides)
    # a money row names the reporting currency, as kpi_scorecard writes it
    values.setdefault("currency_code", "'EUR'" if values["unit"] == "currency" else "null")
    return ROW.format(**values)


# The broken scorecards and wide marts, and the failures each must cause.
BREAKAGES = tomllib.loads(
    (Path(__file__).with_name("mart_breakages.toml")).read_text(encoding="utf-8")
)
# (id, SQL, suite, expectation, column)
CASES = [
    (
        case["id"],
        [row(**overrides) for overrides in case.get("rows", [])] + case.get("sql", []),
        case["suite"],
        case["expectation"],
        case.get("column"),
    )
    for case in BREAKAGES["scorecard"]
]


@pytest.fixture
def scorecard_suites_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The `marts` checkpoint holds the kpi_scorecard suites only (keeps each case quick)."""
    every = project.checkpoint_suites

    def scorecard_only(project_dir: Path = PROJECT_DIR) -> dict[str, list[Any]]:
        checkpoints = every(project_dir)
        checkpoints[project.MARTS_CHECKPOINT] = [
            suite
            for suite in checkpoints[project.MARTS_CHECKPOINT]
            if suite.table == SCORECARD_RELATION
        ]
        return checkpoints

    monkeypatch.setattr(project, "checkpoint_suites", scorecard_only)


@pytest.mark.parametrize(
    ("statements", "suite", "expectation", "column"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
@pytest.mark.usefixtures("scorecard_suites_only")
def test_bad_mart_rows_are_caught_and_nothing_is_published(
    warehouse: Path,
    monkeypatch: pytest.MonkeyPatch,
    statements: list[str],
    suite: str,
    expectation: str,
    column: str | None,
) -> None:
    published = pipeline.publish_marts(RunContext.build(warehouse=warehouse))
    before = published.read_bytes()
    execute(warehouse, *statements)  # what a faulty build would have made
    # In the daily job an error-severity failure is a blocking check of the mart: the
    # publish asset does not run (tests/test_orchestration_e2e.py runs that path).
    outcome = pipeline.validate_marts(RunContext.build(warehouse=warehouse))
    assert not outcome.passed
    failure = find(outcome, suite, expectation, column)
    assert failure.severity == "error"
    assert published.read_bytes() == before


def test_clean_scorecard_with_legitimate_nulls_passes_and_is_published(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Legitimate nulls besides the fixture's (a month with no customers, a suppressed
    # engagement group, an LTV whose lifetime cap applied): spend without leads, a campaign
    # whose cost is unknown.
    execute(warehouse, row(kpi="cpl", segment_type="campaign", segment_value="CA1",
                           numerator=10, denominator=0, unit="currency"))  # fmt: skip
    execute(warehouse, row(kpi="roi_3m", segment_type="campaign", segment_value="CA1",
                           numerator=None, denominator=None, unit="percent")
            .replace("None", "null"))  # fmt: skip
    outcome = pipeline.validate_marts(RunContext.build(warehouse=warehouse))
    assert outcome.passed and not outcome.failures, outcome.summary()
    # Every suite of the checkpoint ran, the wide marts' included.
    expected = {suite.name for suite in project.checkpoint_suites()[project.MARTS_CHECKPOINT]}
    assert {result.suite for result in outcome.suites} == expected
    assert {mart_suite_name(mart) for mart in WIDE_MART_ROWS} <= expected
    assert all(result.rows for result in outcome.suites)
    published = pipeline.publish_marts(RunContext.build(warehouse=warehouse))
    assert published.exists()


# --------------------------------------------------------------------------- wide marts

DUPLICATE = "duplicate key"
# mart -> (SQL run on the clean mart, the failures it must cause: (expectation, column or
# (column_A, column_B) or None for the grain)). Every mart gets a duplicate of one of its
# rows and an out-of-range value; a few get a null key, a part larger than its whole or a
# number on a suppressed group. Nothing else may fail.
WIDE_CASES: dict[str, tuple[list[str], list[tuple[str, object]]]] = {
    mart: (
        case["sql"],
        [(expectation, column if isinstance(column, str) else tuple(column))
         for expectation, column in case["failures"]],
    )
    for mart, case in BREAKAGES["wide"].items()
}  # fmt: skip


# Every mart with an enforced contract but the scorecard, with the grain its YAML declares.
WIDE_MART_GRAINS = {
    name: contract.grain for name, contract in mart_contracts().items() if name != SCORECARD_MART
}


def uniqueness(mart: str) -> tuple[str, object]:
    key = WIDE_MART_GRAINS[mart]
    if len(key) == 1:
        return "expect_column_values_to_be_unique", key[0]
    return "expect_compound_columns_to_be_unique", None


def expected_failures() -> dict[tuple[str, str, object], str]:
    """(suite, expectation, column) -> the mart, for every failure the injection causes."""
    expected = {}
    for mart, (_, failures) in WIDE_CASES.items():
        for expectation, column in [uniqueness(mart), *failures]:
            expected[(mart_suite_name(mart), expectation, column)] = mart
    return expected


def failure_key(failure: Failure) -> tuple[str, str, object]:
    column: object = failure.column
    if "column_A" in failure.kwargs:
        column = (failure.kwargs["column_A"], failure.kwargs["column_B"])
    return failure.suite, failure.expectation, column


@pytest.fixture(scope="module")
def broken_wide_marts(
    clean_warehouse_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ValidationOutcome, bool, float]]:
    """The marts validation over marts where every wide mart was broken: (the outcome,
    whether the published file stayed identical, seconds of the validation)."""
    warehouse = tmp_path_factory.mktemp("broken_marts") / "warehouse.duckdb"
    shutil.copyfile(clean_warehouse_file, warehouse)
    published = pipeline.publish_marts(RunContext.build(warehouse=warehouse))
    before = published.read_bytes()
    statements = []
    for mart, (sql, _) in WIDE_CASES.items():
        table = f"marts.{mart}"
        statements.append(f"insert into {table} select * from {table} limit 1")  # duplicate
        statements += [statement.format(t=table) for statement in sql]
    execute(warehouse, *statements)
    started = time.perf_counter()
    outcome = pipeline.validate_marts(RunContext.build(warehouse=warehouse))
    seconds = time.perf_counter() - started
    assert not outcome.passed
    yield outcome, published.read_bytes() == before, seconds


def test_every_wide_mart_has_a_case() -> None:
    assert set(WIDE_CASES) == set(WIDE_MART_GRAINS) == set(WIDE_MART_ROWS)


@pytest.mark.parametrize(
    ("suite", "expectation", "column"),
    list(expected_failures()),
    ids=[
        f"{mart}-{DUPLICATE if (expectation, column) == uniqueness(mart) else column}"
        for (_, expectation, column), mart in expected_failures().items()
    ],
)
def test_bad_wide_mart_rows_are_caught_with_error_severity(
    broken_wide_marts: tuple[ValidationOutcome, bool, float],
    suite: str,
    expectation: str,
    column: object,
) -> None:
    outcome, _, _ = broken_wide_marts
    matches = [f for f in outcome.failures if failure_key(f) == (suite, expectation, column)]
    assert matches, f"{suite}/{expectation}/{column} not flagged:\n{outcome.summary()}"
    (failure,) = matches
    assert failure.severity == "error" and failure.reason
    assert failure.failing_count, failure
    assert failure.table == f"marts.{suite.removeprefix('marts__')}"


def test_broken_wide_marts_fail_exactly_as_injected_and_publish_nothing(
    broken_wide_marts: tuple[ValidationOutcome, bool, float],
) -> None:
    outcome, published_unchanged, seconds = broken_wide_marts
    print(f"marts checkpoint over 13 broken wide marts: {seconds:.1f} s")
    assert not outcome.passed and published_unchanged
    assert {failure_key(f) for f in outcome.failures} == set(expected_failures()), outcome.summary()
    assert len(outcome.failures) == len(expected_failures())


def test_wide_mart_failures_block_their_own_dagster_asset_only(
    broken_wide_marts: tuple[ValidationOutcome, bool, float],
) -> None:
    from orchestration.defs.quality import failures_by_target

    outcome, _, _ = broken_wide_marts
    targets = [SCORECARD_MART, *WIDE_MART_GRAINS]
    assigned = failures_by_target(outcome.failures, targets)
    expected = expected_failures()
    for target, failures in assigned.items():
        assert [expected[failure_key(f)] for f in failures] == [target] * len(failures)
        assert failures or target not in WIDE_CASES, target
