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

from nyckeltal.quality.mart_contracts import mart_contracts
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
# engagement group. The wide marts follow (WIDE_MART_ROWS).
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
alter table marts.kpi_scorecard add column previous_status varchar;
alter table marts.kpi_scorecard add column currency_code varchar;
update marts.kpi_scorecard set currency_code = 'EUR' where unit = 'currency';
"""

# Hand-made wide marts that honour their contracts (tables created from the model YAML),
# legitimate nulls and negatives included: rates null on a zero denominator, credit notes
# (negative revenue, margin, return, LTV), credited expenses, a campaign without cost,
# suppressed engagement groups, roll-ups without region or product line. Columns a row
# leaves out are null.
JAN = {"month_start": "2024-01-01", "month_end": "2024-01-31", "is_complete_period": True}
FEB = {"month_start": "2024-02-01", "month_end": "2024-02-29", "is_complete_period": True}
MAR = {"month_start": "2024-03-01", "month_end": "2024-03-31", "is_complete_period": False}
TOTAL = {"segment_type": "total", "segment_value": "all"}
Q1 = {"period_start": "2024-01-01", "period_end": "2024-03-31", "period_grain": "quarter",
      "is_complete_period": True}  # fmt: skip
WAVE = {"survey_date": "2024-01-20", "is_complete_period": True}
WIDE_MART_ROWS: dict[str, list[dict[str, object]]] = {
    "customer_retention_monthly": [
        {**FEB, **TOTAL, "customers_at_start": 4, "churned_customers": 1,
         "mrr_at_start": 400.0, "lost_mrr": 120.0, "retained_mrr": 380.0,
         "churn_rate_pct": 25.0, "revenue_churn_rate_pct": 30.0,
         "net_revenue_retention_pct": 95.0},
        {**FEB, "segment_type": "customer_segment", "segment_value": "smb",
         "customers_at_start": 3, "churned_customers": 1, "mrr_at_start": 300.0,
         "lost_mrr": 120.0, "retained_mrr": 330.0, "churn_rate_pct": 33.3,
         "revenue_churn_rate_pct": 40.0, "net_revenue_retention_pct": 110.0},
        {**JAN, **TOTAL, "customers_at_start": 0, "churned_customers": 0, "mrr_at_start": 0.0,
         "lost_mrr": 0.0, "retained_mrr": 0.0},
    ],
    "mrr_movements_monthly": [
        {**JAN, "customers_at_start": 0, "new_customers": 2, "reactivated_customers": 0,
         "churned_customers": 0, "customers_at_end": 2, "mrr_at_start": 0.0, "new_mrr": 57.8,
         "reactivated_mrr": 0.0, "expansion_mrr": 0.0, "contraction_mrr": 0.0,
         "churned_mrr": 0.0, "mrr_at_end": 57.8},
        {**FEB, "customers_at_start": 2, "new_customers": 0, "reactivated_customers": 0,
         "churned_customers": 1, "customers_at_end": 1, "mrr_at_start": 57.8, "new_mrr": 0.0,
         "reactivated_mrr": 0.0, "expansion_mrr": 0.0, "contraction_mrr": 0.0,
         "churned_mrr": 8.8, "mrr_at_end": 49.0},
    ],
    "customer_lifetime_value_ttm": [
        {**FEB, **TOTAL, "gross_margin_per_customer_month": 39.2, "monthly_churn_rate": 0.25,
         "is_lifetime_capped": False, "lifetime_value": 156.8, "ttm_cac": 300.0,
         "ltv_to_cac_ratio": 0.52},
        {**FEB, "segment_type": "channel", "segment_value": "organic",
         "gross_margin_per_customer_month": -5.0, "is_lifetime_capped": True,
         "lifetime_value": -300.0, "ttm_cac": 0.0},
        {**JAN, **TOTAL, "is_lifetime_capped": False, "ttm_cac": -20.0},
    ],
    "nps_monthly": [
        {**FEB, **TOTAL, "responses": 2, "net_promoters": 0, "net_promoter_score": 0.0},
        {**FEB, "segment_type": "touchpoint", "segment_value": "post_purchase",
         "responses": 1, "net_promoters": 1, "net_promoter_score": 100.0},
        {**FEB, "segment_type": "touchpoint", "segment_value": "relationship",
         "responses": 1, "net_promoters": -1, "net_promoter_score": -100.0},
    ],
    "customer_acquisition_cost_monthly": [
        {**JAN, "ad_spend": 120.5, "expenses": 500.0, "sales_marketing_payroll_cost": 8020.0,
         "sales_marketing_cost": 8640.5, "customers_acquired": 2, "cac": 4320.25,
         "cac_paid": 60.25, "gross_margin_acquisition_mrr": 23.12,
         "cac_payback_months": 186.9},
        {**FEB, "ad_spend": 99.0, "expenses": -150.0, "sales_marketing_payroll_cost": 0.0,
         "sales_marketing_cost": -51.0, "customers_acquired": 1, "cac": -51.0,
         "cac_paid": 99.0, "gross_margin_acquisition_mrr": 7.04,
         "cac_payback_months": -7.24},
        {**MAR, "ad_spend": 0.88, "expenses": 0.0, "sales_marketing_payroll_cost": 0.0,
         "sales_marketing_cost": 0.88, "customers_acquired": 0},
    ],
    "paid_channel_acquisition_cost_monthly": [
        {**JAN, "channel": "paid_search", "ad_spend": 120.5, "customers_acquired": 1,
         "cac_paid": 120.5},
        {**FEB, "channel": "paid_search", "ad_spend": 99.0, "customers_acquired": 0},
        {**MAR, "channel": "email", "ad_spend": 0.0, "customers_acquired": 1,
         "cac_paid": 0.0},
    ],
    "lead_costs_monthly": [
        {**JAN, **TOTAL, "ad_spend": 120.5, "leads_created": 2, "cost_per_lead": 60.25,
         "marketing_qualified_leads": 1, "cost_per_mql": 120.5},
        {**JAN, "segment_type": "campaign", "segment_value": "CA1", "ad_spend": 120.5,
         "leads_created": 1, "cost_per_lead": 120.5, "marketing_qualified_leads": 1,
         "cost_per_mql": 120.5},
        {**MAR, "segment_type": "channel", "segment_value": "email", "ad_spend": 0.88,
         "leads_created": 0, "marketing_qualified_leads": 0},
    ],
    "campaign_roi": [
        {"campaign_id": "CA1", "campaign_name": "Spring search", "channel": "paid_search",
         "started_on": "2024-01-01", "ended_on": "2024-03-31", "window_end_3m": "2024-03-31",
         "cost_3m": 219.5, "return_3m": 39.2, "roi_3m_pct": -82.14, "is_complete_3m": True,
         "window_end_6m": "2024-06-30", "cost_6m": 219.5, "return_6m": 39.2,
         "roi_6m_pct": -82.14, "is_complete_6m": False, "window_end_12m": "2024-12-31",
         "cost_12m": 219.5, "return_12m": 39.2, "roi_12m_pct": -82.14,
         "is_complete_12m": False},
        {"campaign_id": "CA2", "campaign_name": "Newsletter", "channel": "email",
         "started_on": "2024-01-15", "window_end_3m": "2024-04-14", "cost_3m": 0.0,
         "return_3m": -8.0, "is_complete_3m": False, "window_end_6m": "2024-07-14",
         "cost_6m": 0.0, "return_6m": -8.0, "is_complete_6m": False,
         "window_end_12m": "2025-01-14", "cost_12m": 0.0, "return_12m": -8.0,
         "is_complete_12m": False},
    ],
    "web_funnel_monthly": [
        {**JAN, "step_order": 1, "step_name": "page_view", "event_name": "page_view",
         "visitors_reaching_step": 1, "visitors_reaching_previous_step": 1,
         "step_conversion_pct": 100.0, "visitors": 1, "conversion_from_visit_pct": 100.0},
        {**JAN, "step_order": 2, "step_name": "signup", "event_name": "signup",
         "visitors_reaching_step": 1, "visitors_reaching_previous_step": 1,
         "step_conversion_pct": 100.0, "visitors": 1, "conversion_from_visit_pct": 100.0},
        {**JAN, "step_order": 3, "step_name": "trial_start", "event_name": "trial_start",
         "visitors_reaching_step": 0, "visitors_reaching_previous_step": 1,
         "step_conversion_pct": 0.0, "visitors": 1, "conversion_from_visit_pct": 0.0},
    ],
    "web_conversion_monthly": [
        {**JAN, **TOTAL, "visitors": 1, "converted_visitors": 1, "conversion_rate_pct": 100.0,
         "funnel_completed_visitors": 0, "funnel_completion_pct": 0.0},
        {**JAN, "segment_type": "channel", "segment_value": "paid_search", "visitors": 1,
         "converted_visitors": 1, "conversion_rate_pct": 100.0},
        {**FEB, **TOTAL, "visitors": 2, "converted_visitors": 0, "conversion_rate_pct": 0.0,
         "funnel_completed_visitors": 0, "funnel_completion_pct": 0.0},
    ],
    "revenue_per_employee_monthly": [
        {**JAN, **TOTAL, "revenue": 57.8, "average_fte": 1.8, "revenue_per_fte": 32.1},
        {**JAN, "segment_type": "department", "segment_value": "sales", "revenue": 57.8,
         "average_fte": 1.0, "revenue_per_fte": 57.8},
        {**MAR, **TOTAL, "revenue": -10.0, "average_fte": 1.8, "revenue_per_fte": -5.6},
        {**MAR, "segment_type": "product_line", "segment_value": "hardware", "revenue": 0.0,
         "average_fte": 0.0},
    ],
    "market_share_by_period": [
        {**Q1, "segment_type": "region_product_line", "segment_value": "nordics|analytics",
         "region": "nordics", "product_line": "analytics", "company_revenue": 47.8,
         "market_revenue": 1000000.0, "market_share_pct": 0.00478},
        {**Q1, "segment_type": "region", "segment_value": "nordics", "region": "nordics",
         "company_revenue": 47.8, "market_revenue": 1000000.0, "market_share_pct": 0.00478},
        {**Q1, "segment_type": "product_line", "segment_value": "hardware",
         "product_line": "hardware", "company_revenue": -10.0, "market_revenue": 0.0},
    ],
    "kpi_definitions": [
        {"kpi_code": "ltv", "family": "ltv", "family_name": "Customer lifetime value",
         "kpi_name": "Customer lifetime value", "definition": "TTM margin x lifetime.",
         "unit": "currency", "currency_code": "EUR", "unit_wording": "per customer",
         "period_grains": "ttm", "segment_types": "total channel",
         "direction": "higher_is_better"},
        {"kpi_code": "churn_rate", "family": "churn", "family_name": "Churn and retention",
         "kpi_name": "Customer churn rate", "definition": "Churned / active x 100.",
         "unit": "percent", "period_grains": "month", "segment_types": "total plan",
         "direction": "lower_is_better", "target_value": 2.0, "warning_value": 3.0},
    ],
    "kpi_family_availability": [
        {"family": "nps", "family_name": "Net Promoter Score", "is_available": True,
         "required_tables": "crm.customers, crm.nps_responses"},
        {"family": "engagement", "family_name": "Employee engagement", "is_available": False,
         "required_tables": "hr.engagement_responses",
         "missing_tables": "hr.engagement_responses"},
    ],
    "employee_engagement_by_wave": [
        {**WAVE, **TOTAL, "respondent_count": 6, "response_count": 12,
         "favorable_response_count": 7, "engagement_score": 3.75, "favorable_pct": 58.3,
         "is_suppressed": False},
        {**WAVE, "segment_type": "department", "segment_value": "sales", "is_suppressed": True},
        {**WAVE, "segment_type": "department", "segment_value": "marketing",
         "is_suppressed": True},
        {**WAVE, "segment_type": "dimension", "segment_value": "growth", "respondent_count": 6,
         "response_count": 6, "favorable_response_count": 4, "engagement_score": 3.8,
         "favorable_pct": 66.7, "is_suppressed": False},
    ],
}  # fmt: skip


def create_wide_marts(connection: duckdb.DuckDBPyConnection) -> None:
    """Every wide mart with the columns and types of its contract (the model YAML), filled
    with WIDE_MART_ROWS."""
    for name, contract in mart_contracts().items():
        if name not in WIDE_MART_ROWS:
            continue
        columns = ", ".join(
            f"{column} {data_type}"
            for column, data_type in zip(contract.columns, contract.data_types, strict=True)
        )
        connection.execute(f"create table {contract.relation} ({columns})")
        placeholders = ", ".join("?" for _ in contract.columns)
        connection.executemany(
            f"insert into {contract.relation} values ({placeholders})",
            [[row.get(column) for column in contract.columns] for row in WIDE_MART_ROWS[name]],
        )


def build_clean_warehouse(path: Path) -> Path:
    with duckdb.connect(str(path)) as connection:
        create_empty_raw_tables(connection)
        for relation, rows in CLEAN_ROWS.items():
            connection.execute(f"insert into {relation} values {', '.join(rows)}")
        connection.execute(SCORECARD_DDL)
        create_wide_marts(connection)
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
