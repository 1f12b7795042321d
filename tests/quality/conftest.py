"""Fixtures of the data quality tests: a small clean raw warehouse, built once per session.

The clean warehouse is written with SQL (no loader) so that tests can inject bad rows the
way an extract-load tool would: straight into the raw tables, bypassing every check.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from nyckeltal.raw_schema import create_empty_raw_tables

CLEAN_ROWS: dict[str, list[str]] = {
    "raw_crm.customers": [
        "('C1', '2024-01-04 10:00:00', 'Acme AB', 'smb', 'nordics', 'SE', 'paid_search', "
        "'CA1', 'L1')",
        "('C2', '2024-01-08 15:00:00', 'Globex', 'enterprise', 'nordics', 'SE', 'organic', "
        "null, null)",
    ],
    "raw_crm.leads": [
        "('L1', '2024-01-02 09:00:00', 'paid_search', 'CA1', '2024-01-03 10:00:00', 'C1')",
        "('L2', '2024-01-05 12:30:00', 'email', 'CA2', null, null)",
    ],
    "raw_crm.nps_responses": [
        "('N1', 'C1', '2024-02-01 10:00:00', 9, 'post_purchase')",
        "('N2', 'C2', '2024-02-03 11:00:00', 6, 'relationship')",
    ],
    "raw_billing.plans": [
        "('P1', 'Starter', 'analytics', 'month', 49, 'EUR')",
        "('P2', 'Pro', 'analytics', 'year', 1200, 'SEK')",
    ],
    "raw_billing.subscriptions": [
        "('S1', 'C1', 'P1', '2024-01-04 10:00:00', null, 49, 'EUR')",
        "('S2', 'C2', 'P2', '2024-01-15 00:00:00', null, 100, 'SEK')",
    ],
    "raw_billing.invoices": [
        "('I1', 'C1', 'S1', 'analytics', '2024-01-04 10:00:00', 49, 'EUR', 'paid')",
        "('I2', 'C2', 'S2', 'analytics', '2024-02-15 00:00:00', 100, 'SEK', 'open')",
        "('I3', 'C1', null, 'analytics', '2024-03-04 00:00:00', -10, 'EUR', 'paid')",
    ],
    "raw_billing.fx_rates": [
        "('2024-01-01', 'SEK', 0.088)",
        "('2024-02-01', 'SEK', 0.087)",
        "('2024-01-01', 'USD', 0.9)",
    ],
    "raw_hr.employees": [
        "('E1', 'sales', 'analytics', '2023-01-01', null, 1.0)",
        "('E2', 'marketing', null, '2023-06-01', null, 0.8)",
    ],
    "raw_hr.payroll": [
        "('E1', '2024-01-01', 5000, 1500, 'EUR')",
        "('E2', '2024-01-01', 40000, 12000, 'SEK')",
    ],
    "raw_hr.engagement_responses": [
        "('R1', 'SV1', '2024-01-20', 'anon-1', 'sales', 'leadership', 'Q1', 4)",
        "('R2', 'SV1', '2024-01-20', 'anon-2', 'marketing', 'growth', 'Q2', 3)",
    ],
    "raw_marketing.campaigns": [
        "('CA1', 'Spring search', 'paid_search', '2024-01-01', '2024-03-31')",
        "('CA2', 'Newsletter', 'email', '2024-01-15', null)",
    ],
    "raw_marketing.ad_spend": [
        "('2024-01-02', 'CA1', 120.5, 'EUR', 10000, 250)",
        "('2024-02-03', 'CA1', 99, 'EUR', 8000, 190)",
        "('2024-03-01', 'CA2', 10, 'SEK', 100, 2)",
    ],
    "raw_marketing.expenses": ["('X1', '2024-01-10', 'marketing', 'events', 500, 'EUR')"],
    "raw_marketing.web_events": [
        "('W1', '2024-01-02 08:00:00', 'V1', 'SS1', 'page_view', 'paid_search', 'CA1')",
        "('W2', '2024-01-02 08:05:00', 'V1', 'SS1', 'signup', 'paid_search', 'CA1')",
        "('W3', '2024-02-10 10:00:00', 'V2', 'SS2', 'page_view', 'organic', null)",
        "('W4', '2024-02-11 10:00:00', 'V2', 'SS3', 'page_view', 'organic', null)",
        "('W5', '2024-03-01 10:00:00', 'V3', 'SS4', 'page_view', 'email', 'CA2')",
    ],
    "raw_marketing.market_sizes": [
        "('2024-01-01', '2024-03-31', 'nordics', 'analytics', 1000000, 'EUR', 'research')",
    ],
}

# A hand-made kpi_scorecard that honours the contract, legitimate nulls included: a churn
# total with its customer segments, a month with a zero denominator, an NPS, a suppressed
# engagement group.
SCORECARD_DDL = """
create schema if not exists marts;
create table marts.kpi_scorecard (
    kpi_code varchar, period_start date, period_end date, period_grain varchar,
    segment_type varchar, segment_value varchar, numerator double, denominator double,
    value double, unit varchar, target_value double, status varchar, previous_value double,
    is_complete_period boolean, is_suppressed boolean
);
insert into marts.kpi_scorecard values
    ('churn_rate', '2024-02-01', '2024-02-29', 'month', 'total', 'all', 1, 4, 25, 'percent',
        2, 'off_track', null, true, false),
    ('churn_rate', '2024-02-01', '2024-02-29', 'month', 'customer_segment', 'smb', 1, 3,
        33.3333, 'percent', 2, 'off_track', null, true, false),
    ('churn_rate', '2024-02-01', '2024-02-29', 'month', 'customer_segment', 'enterprise', 0,
        1, 0, 'percent', 2, 'on_track', null, true, false),
    ('churn_rate', '2024-02-01', '2024-02-29', 'month', 'plan', 'P1', 1, 3, 33.3333,
        'percent', 2, 'off_track', null, true, false),
    ('churn_rate', '2024-02-01', '2024-02-29', 'month', 'plan', 'P2', 0, 1, 0, 'percent', 2,
        'on_track', null, true, false),
    ('churn_rate', '2024-02-01', '2024-02-29', 'month', 'product_line', 'analytics', 1, 4, 25,
        'percent', 2, 'off_track', null, true, false),
    ('churn_rate', '2024-01-01', '2024-01-31', 'month', 'total', 'all', 0, 0, null,
        'percent', 2, 'no_target', null, true, false),
    ('nps', '2024-02-01', '2024-02-29', 'month', 'total', 'all', 0, 2, 0, 'score', 30,
        'off_track', null, true, false),
    ('nps', '2024-02-01', '2024-02-29', 'month', 'touchpoint', 'post_purchase', 1, 1, 100,
        'score', 30, 'on_track', null, true, false),
    ('nps', '2024-02-01', '2024-02-29', 'month', 'touchpoint', 'relationship', -1, 1, -100,
        'score', 30, 'off_track', null, true, false),
    ('nps', '2024-02-01', '2024-02-29', 'month', 'customer_segment', 'smb', 1, 1, 100,
        'score', 30, 'on_track', null, true, false),
    ('nps', '2024-02-01', '2024-02-29', 'month', 'customer_segment', 'enterprise', -1, 1, -100,
        'score', 30, 'off_track', null, true, false),
    ('engagement_score', '2024-01-20', '2024-01-20', 'survey', 'total', 'all', 7, 2, 3.5,
        'score', 4, 'off_track', null, true, false),
    ('engagement_score', '2024-01-20', '2024-01-20', 'survey', 'department', 'sales', null,
        null, null, 'score', 4, 'no_target', null, true, true),
    ('ltv', '2024-02-01', '2024-02-29', 'ttm', 'total', 'all', 100, null, 6000, 'currency',
        null, 'no_target', null, true, false);
create table marts.nps_monthly as select 1 as placeholder;
"""


def build_clean_warehouse(path: Path) -> Path:
    with duckdb.connect(str(path)) as connection:
        create_empty_raw_tables(connection)
        for relation, rows in CLEAN_ROWS.items():
            connection.execute(f"insert into {relation} values {', '.join(rows)}")
        connection.execute(SCORECARD_DDL)
    return path


@pytest.fixture(scope="session", autouse=True)
def gx_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private GX project directory (the generated files, its own uncommitted/)."""
    directory = tmp_path_factory.mktemp("gx")
    patch = pytest.MonkeyPatch()
    patch.setenv("NYCKELTAL_GX_DIR", str(directory))
    patch.setenv("GX_ANALYTICS_ENABLED", "false")
    patch.delenv("NYCKELTAL_DQ_WARN", raising=False)
    patch.delenv("NYCKELTAL_DQ_ERROR", raising=False)
    patch.delenv("NYCKELTAL_MAX_ROW_DROP", raising=False)
    patch.delenv("NYCKELTAL_PUBLISHED", raising=False)
    yield directory
    patch.undo()


@pytest.fixture(scope="session")
def clean_warehouse_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_clean_warehouse(tmp_path_factory.mktemp("clean") / "clean.duckdb")


@pytest.fixture
def warehouse(clean_warehouse_file: Path, tmp_path: Path) -> Path:
    """A private copy of the clean warehouse, to break."""
    target = tmp_path / "warehouse.duckdb"
    shutil.copyfile(clean_warehouse_file, target)
    return target


def execute(warehouse: Path, *statements: str) -> None:
    with duckdb.connect(str(warehouse)) as connection:
        for statement in statements:
            connection.execute(statement)


def without_constraints(relation: str) -> list[str]:
    """SQL recreating `relation` without NOT NULL / PRIMARY KEY (as an EL tool might)."""
    return [
        f"create table {relation}_copy as select * from {relation}",
        f"drop table {relation}",
        f"alter table {relation}_copy rename to {relation.split('.')[1]}",
    ]


def tomorrow() -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S")
