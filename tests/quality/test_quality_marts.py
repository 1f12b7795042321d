"""Mart suites on a hand-made kpi_scorecard: bad rows are caught, legitimate nulls are not."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import execute
from test_quality_sources import find

from nyckeltal import pipeline
from nyckeltal.quality.outcome import ValidationOutcome

ROW = (
    "insert into marts.kpi_scorecard values ('{kpi}', '2024-02-01', '2024-02-29', 'month', "
    "'{segment_type}', '{segment_value}', {numerator}, {denominator}, {value}, '{unit}', null, "
    "'{status}', null, true, {suppressed})"
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
    return ROW.format(**values)


# (id, SQL, suite, expectation, column)
CASES = [
    (
        "duplicate scorecard key",
        [
            row(
                kpi="nps",
                segment_type="total",
                segment_value="all",
                numerator=0,
                denominator=2,
                value=0,
            )
        ],  # fmt: skip
        "marts__kpi_scorecard",
        "expect_compound_columns_to_be_unique",
        None,
    ),
    (
        "null unit",
        ["update marts.kpi_scorecard set unit = null where kpi_code = 'ltv'"],
        "marts__kpi_scorecard",
        "expect_column_values_to_not_be_null",
        "unit",
    ),
    (
        "null status",
        ["update marts.kpi_scorecard set status = null where kpi_code = 'ltv'"],
        "marts__kpi_scorecard",
        "expect_column_values_to_not_be_null",
        "status",
    ),
    (
        "churn above 100 percent",
        [
            "update marts.kpi_scorecard set value = 120 where kpi_code = 'churn_rate' "
            "and segment_value = 'smb'"
        ],  # fmt: skip
        "marts__kpi_scorecard",
        "expect_column_values_to_be_between",
        "value",
    ),
    (
        "NPS below -100",
        [
            "update marts.kpi_scorecard set value = -150 where kpi_code = 'nps' "
            "and segment_type = 'total'"
        ],  # fmt: skip
        "marts__kpi_scorecard",
        "expect_column_values_to_be_between",
        "value",
    ),
    (
        "engagement below 1",
        [
            "update marts.kpi_scorecard set value = 0.5 where kpi_code = 'engagement_score' "
            "and segment_type = 'total'"
        ],  # fmt: skip
        "marts__kpi_scorecard",
        "expect_column_values_to_be_between",
        "value",
    ),
    (
        "value missing although defined",
        [
            "update marts.kpi_scorecard set value = null where kpi_code = 'nps' "
            "and segment_type = 'total'"
        ],  # fmt: skip
        "marts__kpi_scorecard",
        "expect_column_values_to_not_be_null",
        "value",
    ),
    (
        "suppressed row with a value",
        ["update marts.kpi_scorecard set value = 2.0 where is_suppressed"],
        "marts__kpi_scorecard",
        "expect_column_values_to_be_null",
        "value",
    ),
    (
        "segments do not add up to the total",
        [
            "update marts.kpi_scorecard set denominator = 5 where kpi_code = 'churn_rate' "
            "and segment_value = 'smb'"
        ],  # fmt: skip
        "marts__kpi_scorecard__reconciliation",
        "expect_column_values_to_be_in_set",
        "denominator_reconciles",
    ),
    (
        "unknown kpi_code",
        [row(kpi="happiness", unit="score")],
        "marts__kpi_scorecard",
        "expect_column_values_to_be_in_set",
        "kpi_code",
    ),
    (
        "wrong unit for the KPI",
        ["update marts.kpi_scorecard set unit = 'ratio' where kpi_code = 'churn_rate'"],
        "marts__kpi_scorecard",
        "expect_column_values_to_be_in_set",
        "unit",
    ),
    (
        "missing scorecard",
        ["drop table marts.kpi_scorecard"],
        "marts__kpi_scorecard",
        "fetch",
        None,
    ),
]


def passing_sources(*args: object, **kwargs: object) -> ValidationOutcome:
    return ValidationOutcome("sources", [], None, "stub")


@pytest.mark.parametrize(
    ("statements", "suite", "expectation", "column"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_mart_rows_are_caught_and_nothing_is_published(
    warehouse: Path,
    monkeypatch: pytest.MonkeyPatch,
    statements: list[str],
    suite: str,
    expectation: str,
    column: str | None,
) -> None:
    published = pipeline.publish_marts(warehouse)
    before = published.read_bytes()
    execute(warehouse, *statements)  # what a faulty build would have made
    monkeypatch.setattr(pipeline, "validate_sources", passing_sources)
    monkeypatch.setattr(pipeline, "build_models", lambda *args, **kwargs: None)
    with pytest.raises(pipeline.DataQualityError) as caught:
        pipeline.run_daily_build(warehouse)
    failure = find(caught.value.outcome, suite, expectation, column)
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
    outcome = pipeline.validate_marts(warehouse)
    assert outcome.passed and not outcome.failures, outcome.summary()
    monkeypatch.setattr(pipeline, "validate_sources", passing_sources)
    monkeypatch.setattr(pipeline, "build_models", lambda *args, **kwargs: None)
    result = pipeline.run_daily_build(warehouse)
    assert result.published.exists() and result.marts.passed
