"""Source suites: every kind of bad row is caught with its severity; errors publish nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import execute, tomorrow, without_constraints

from nyckeltal import pipeline, settings
from nyckeltal.context import RunContext
from nyckeltal.quality.outcome import Failure, ValidationOutcome


def find(outcome: ValidationOutcome, suite: str, expectation: str, column: str | None) -> Failure:
    matches = [
        failure
        for failure in outcome.failures
        if failure.suite == suite
        and failure.expectation == expectation
        and (column is None or failure.column == column)
    ]
    assert matches, f"{suite}/{expectation}/{column} not flagged:\n{outcome.summary()}"
    return matches[0]


def failed_validation(warehouse: Path, tables: list[str]) -> ValidationOutcome:
    """The source validation of the given tables, which must fail: in the daily job its
    error-severity failures are blocking checks, so nothing downstream is built or published
    (tests/test_orchestration_e2e.py runs that path)."""
    outcome = pipeline.validate_sources(RunContext.build(warehouse=warehouse), tables=tables)
    assert not outcome.passed, outcome.summary()
    return outcome


def validation_after(warehouse: Path, table: str, statement: str) -> ValidationOutcome:
    """The source validation of `table` after `statement` has changed its rows."""
    execute(warehouse, statement)
    return pipeline.validate_sources(RunContext.build(warehouse=warehouse), tables=[table])


# (id, table, SQL injecting the bad rows, suite, expectation, column)
ERROR_CASES = [
    (
        "negative ad spend",
        "marketing.ad_spend",
        ["insert into raw_marketing.ad_spend values ('2024-02-04', 'CA1', -50, 'EUR', 1, 0)"],
        "raw_marketing__ad_spend",
        "expect_column_values_to_be_between",
        "spend",
    ),
    (
        "NPS of 11",
        "crm.nps_responses",
        ["insert into raw_crm.nps_responses values ('N9', 'C1', '2024-02-05', 11, 'relationship')"],
        "raw_crm__nps_responses",
        "expect_column_values_to_be_between",
        "score",
    ),
    (
        "invoice for an unknown customer",
        "billing.invoices",
        [
            "insert into raw_billing.invoices values "
            "('I9', 'C404', null, 'analytics', '2024-03-05', 10, 'EUR', 'paid')"
        ],
        "raw_billing__invoices__integrity",
        "expect_column_values_to_be_in_set",
        "customer_id_in_crm_customers",
    ),
    (
        "engagement score 6",
        "hr.engagement_responses",
        [
            "insert into raw_hr.engagement_responses values "
            "('R9', 'SV1', '2024-01-20', 'anon-3', 'sales', 'culture', 'Q3', 6)"
        ],
        "raw_hr__engagement_responses",
        "expect_column_values_to_be_between",
        "score",
    ),
    (
        "fte of 0",
        "hr.employees",
        ["insert into raw_hr.employees values ('E9', 'sales', null, '2023-01-01', null, 0)"],
        "raw_hr__employees",
        "expect_column_values_to_be_between",
        "fte",
    ),
    (
        "fte above 1",
        "hr.employees",
        ["insert into raw_hr.employees values ('E9', 'sales', null, '2023-01-01', null, 1.5)"],
        "raw_hr__employees",
        "expect_column_values_to_be_between",
        "fte",
    ),
    (
        "negative impressions",
        "marketing.ad_spend",
        ["insert into raw_marketing.ad_spend values ('2024-02-04', 'CA1', 5, 'EUR', -1, 0)"],
        "raw_marketing__ad_spend",
        "expect_column_values_to_be_between",
        "impressions",
    ),
    (
        "unknown segment",
        "crm.customers",
        [
            "insert into raw_crm.customers values ('C9', '2024-01-04', 'X', 'huge', 'nordics', "
            "'SE', 'organic', null, null)"
        ],
        "raw_crm__customers",
        "expect_column_values_to_be_in_set",
        "segment",
    ),
    (
        "unknown invoice status",
        "billing.invoices",
        [
            "insert into raw_billing.invoices values "
            "('I9', 'C1', null, 'analytics', '2024-03-05', 10, 'EUR', 'refunded')"
        ],
        "raw_billing__invoices",
        "expect_column_values_to_be_in_set",
        "status",
    ),
    (
        "null required column",
        "crm.customers",
        [
            *without_constraints("raw_crm.customers"),
            "insert into raw_crm.customers values ('C9', '2024-01-04', 'X', 'smb', null, "
            "'SE', 'organic', null, null)",
        ],
        "raw_crm__customers",
        "expect_column_values_to_not_be_null",
        "region",
    ),
    (
        "null timestamp of a monthly-batched table",
        "billing.invoices",
        [
            *without_constraints("raw_billing.invoices"),
            "insert into raw_billing.invoices values "
            "('I9', 'C1', null, 'analytics', null, 10, 'EUR', 'paid')",
        ],
        "raw_billing__invoices",
        "expect_column_values_to_not_be_null",
        "issued_at",
    ),
    (
        "duplicate primary key",
        "billing.invoices",
        [
            *without_constraints("raw_billing.invoices"),
            "insert into raw_billing.invoices values "
            "('I1', 'C1', 'S1', 'analytics', '2024-03-05', 49, 'EUR', 'paid')",
        ],
        "raw_billing__invoices__integrity",
        "expect_column_values_to_be_in_set",
        "has_unique_key",
    ),
    (
        "duplicate composite key",
        "marketing.ad_spend",
        [
            *without_constraints("raw_marketing.ad_spend"),
            "insert into raw_marketing.ad_spend values ('2024-01-02', 'CA1', 1, 'EUR', 1, 0)",
        ],
        "raw_marketing__ad_spend__integrity",
        "expect_column_values_to_be_in_set",
        "has_unique_key",
    ),
    (
        "subscription of an unknown plan",
        "billing.subscriptions",
        [
            "insert into raw_billing.subscriptions values "
            "('S9', 'C1', 'P404', '2024-02-01', null, 10, 'EUR')"
        ],
        "raw_billing__subscriptions__integrity",
        "expect_column_values_to_be_in_set",
        "plan_id_in_billing_plans",
    ),
    (
        "payroll of an unknown employee (cross-system)",
        "hr.payroll",
        ["insert into raw_hr.payroll values ('E404', '2024-02-01', 1, 1, 'EUR')"],
        "raw_hr__payroll__integrity",
        "expect_column_values_to_be_in_set",
        "employee_id_in_hr_employees",
    ),
    (
        "currency without any rate",
        "billing.invoices",
        [
            "insert into raw_billing.invoices values "
            "('I9', 'C1', null, 'analytics', '2024-03-05', 10, 'NOK', 'paid')"
        ],
        "raw_billing__invoices__integrity",
        "expect_column_values_to_be_in_set",
        "has_fx_rate",
    ),
    (
        "money dated before the first rate of its currency",
        "marketing.expenses",
        ["insert into raw_marketing.expenses values ('X9', '2023-12-31', 'sales', 'x', 5, 'SEK')"],
        "raw_marketing__expenses__integrity",
        "expect_column_values_to_be_in_set",
        "has_fx_rate",
    ),
    (
        "lower-case currency code",
        "billing.plans",
        ["insert into raw_billing.plans values ('P9', 'X', 'analytics', 'month', 1, 'eur')"],
        "raw_billing__plans",
        "expect_column_values_to_match_regex",
        "currency",
    ),
    (
        "timestamp in the future",
        "marketing.web_events",
        [
            "insert into raw_marketing.web_events values "
            f"('W9', '{tomorrow()}', 'V9', 'SS9', 'page_view', 'organic', null)"
        ],
        "raw_marketing__web_events",
        "expect_column_values_to_be_between",
        "occurred_at",
    ),
    (
        "event date in the future",
        "marketing.ad_spend",
        [
            "insert into raw_marketing.ad_spend values "
            f"(cast('{tomorrow()}' as date) + 1, 'CA1', 1, 'EUR', 1, 0)"
        ],
        "raw_marketing__ad_spend",
        "expect_column_values_to_be_between",
        "spend_date",
    ),
    (
        "placeholder date far in the future",
        "hr.employees",
        [
            "insert into raw_hr.employees values "
            "('E9', 'sales', null, '2023-01-01', '9999-12-31', 1)"
        ],
        "raw_hr__employees",
        "expect_column_values_to_be_between",
        "terminated_on",
    ),
    (
        "date before 1970",
        "marketing.market_sizes",
        [
            "insert into raw_marketing.market_sizes values "
            "('1969-01-01', '1969-12-31', 'nordics', 'analytics', 1, 'EUR', 'x')"
        ],
        "raw_marketing__market_sizes",
        "expect_column_values_to_be_between",
        "period_start",
    ),
    (
        "wrong column type",
        "billing.invoices",
        ["alter table raw_billing.invoices alter amount type double"],
        "raw_billing__invoices__schema",
        "expect_column_values_to_be_in_set",
        "amount",
    ),
    (
        "missing column",
        "marketing.expenses",
        ["alter table raw_marketing.expenses drop column category"],
        "raw_marketing__expenses__schema",
        "expect_column_to_exist",
        "category",
    ),
]


@pytest.mark.parametrize(
    ("table", "statements", "suite", "expectation", "column"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
def test_error_is_caught_and_nothing_is_published(
    warehouse: Path,
    monkeypatch: pytest.MonkeyPatch,
    table: str,
    statements: list[str],
    suite: str,
    expectation: str,
    column: str,
) -> None:
    published = pipeline.publish_marts(RunContext.build(warehouse=warehouse))  # yesterday's KPIs
    before = published.read_bytes()
    execute(warehouse, *statements)
    outcome = failed_validation(warehouse, [table])
    failure = find(outcome, suite, expectation, column)
    assert failure.severity == "error"
    assert failure.failing_count is None or failure.failing_count >= 1
    assert not outcome.passed
    assert suite in outcome.summary()
    assert published.read_bytes() == before
    assert published == settings.published_path(warehouse)


SUMMARY_CASES = [
    (
        "marketing.ad_spend",
        "insert into raw_marketing.ad_spend values ('2024-02-04', 'CA2', -50, 'EUR', 1, 0)",
        ["ERROR raw_marketing__ad_spend, column spend", "1 of 4 failing"]
        + ["campaign_id='CA2', spend=-50.0"],
    ),
    (
        "hr.employees",
        "insert into raw_hr.employees values ('E9', 'sales', null, '2023-01-01', '9999-12-31', 1)",
        ["ERROR raw_hr__employees, column terminated_on", "employee_id='E9'", "9999-12-31"]
        + ["NYCKELTAL_DATE_HORIZON_YEARS"],
    ),
]


@pytest.mark.parametrize(("table", "statement", "fragments"), SUMMARY_CASES)
def test_summary_names_the_failure_and_shows_the_row(
    warehouse: Path, table: str, statement: str, fragments: list[str]
) -> None:
    execute(warehouse, statement)
    outcome = failed_validation(warehouse, [table])
    text = outcome.summary()
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    assert "Data Docs: " in text and outcome.data_docs_path.exists()


def test_unknown_campaign_of_a_web_event_only_warns(warehouse: Path) -> None:
    outcome = validation_after(
        warehouse,
        "marketing.web_events",
        "insert into raw_marketing.web_events values "
        "('W9', '2024-03-02', 'V9', 'SS9', 'page_view', 'organic', 'CA404')",
    )
    failure = find(
        outcome,
        "raw_marketing__web_events__integrity",
        "expect_column_values_to_be_in_set",
        "campaign_id_in_marketing_campaigns",
    )
    assert failure.severity == "warn" and failure.failing_count == 1
    assert outcome.passed


def test_sudden_row_drop_warns_against_the_previous_load(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = ["crm.leads", "billing.invoices"]
    assert pipeline.validate_sources(
        RunContext.build(warehouse=warehouse), tables=tables
    ).passed  # records the counts
    execute(warehouse, "delete from raw_billing.invoices where invoice_id <> 'I1'")
    outcome = pipeline.validate_sources(RunContext.build(warehouse=warehouse), tables=tables)
    failure = find(outcome, "raw__row_counts", "expect_column_values_to_be_between", "drop_share")
    assert failure.severity == "warn" and failure.failing_count == 1
    assert failure.examples[0]["table_key"] == "billing.invoices"
    assert outcome.passed
    # The drop is now the previous load; a configurable threshold.
    execute(warehouse, "delete from raw_crm.leads where lead_id = 'L2'")
    monkeypatch.setenv("NYCKELTAL_MAX_ROW_DROP", "0.6")
    assert not pipeline.validate_sources(
        RunContext.build(warehouse=warehouse), tables=tables
    ).failures


def test_replay_with_an_earlier_as_of_is_not_in_the_future(warehouse: Path) -> None:

    outcome = pipeline.validate_sources(
        RunContext.build(warehouse=warehouse, as_of=dt.date(2024, 1, 15)),
        tables=["marketing.web_events"],
    )
    assert outcome.passed and not outcome.failures
    # ...but a run that started before the data happened does flag it.
    outcome = pipeline.validate_sources(
        RunContext.build(warehouse=warehouse),
        run_started_at=dt.datetime(2024, 2, 1),
        tables=["marketing.web_events"],
    )
    failure = find(
        outcome, "raw_marketing__web_events", "expect_column_values_to_be_between", "occurred_at"
    )
    assert failure.failing_count == 3


def test_severity_can_be_overridden(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NYCKELTAL_DQ_WARN", "raw_marketing__ad_spend:*:spend")
    outcome = validation_after(
        warehouse,
        "marketing.ad_spend",
        "insert into raw_marketing.ad_spend values ('2024-02-04', 'CA1', -50, 'EUR', 1, 0)",
    )
    assert outcome.passed and [f.severity for f in outcome.failures] == ["warn"]


def test_largest_tables_are_validated_whole_as_sql_in_the_engine(warehouse: Path) -> None:
    outcome = validation_after(
        warehouse,
        "marketing.web_events",
        "insert into raw_marketing.web_events values "
        f"('W9', '{tomorrow()}', 'V9', 'SS9', 'page_view', 'organic', null)",
    )
    rows = next(s for s in outcome.suites if s.suite == "raw_marketing__web_events")
    assert (rows.batches, rows.rows) == (1, 6)  # every row in one SQL batch, no paging
    failure = find(
        outcome, "raw_marketing__web_events", "expect_column_values_to_be_between", "occurred_at"
    )
    assert (failure.failing_count, failure.checked_count) == (1, 6)
    # The example is the whole offending row, every contract column in contract order.
    assert list(failure.examples[0]) == [
        "event_id", "occurred_at", "visitor_id", "session_id", "event_name", "channel",
        "campaign_id",
    ]  # fmt: skip
    assert failure.examples[0]["event_id"] == "W9"


def test_clean_warehouse_passes_every_source_suite(warehouse: Path) -> None:
    outcome = pipeline.validate_sources(RunContext.build(warehouse=warehouse))
    assert outcome.passed and not outcome.failures, outcome.summary()
    assert len(outcome.suites) == 15 * 3 + 1
    assert set(outcome.by_table()) >= {"billing.invoices", "sources"}
    assert outcome.data_docs_path and outcome.data_docs_path.name == "index.html"


def test_a_planned_date_within_the_horizon_passes(warehouse: Path) -> None:
    """A contract ending in five years is data, not a placeholder."""
    in_five_years = dt.date.today().replace(day=1).replace(year=dt.date.today().year + 5)
    outcome = validation_after(
        warehouse,
        "hr.employees",
        "insert into raw_hr.employees values "
        f"('E9', 'sales', null, '2023-01-01', '{in_five_years}', 1)",
    )
    assert outcome.passed, outcome.summary()
