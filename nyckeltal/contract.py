"""The raw data contract as data; `docs/data-contract.md` describes it for users.

This module is the single Python source of truth for the fifteen raw tables: the loader
validates files against it, the demo generator writes to it, the Great Expectations suites
are derived from it and a test checks that the dbt sources declare the same tables and
columns. Change the contract here first, then `docs/data-contract.md` (`tests/test_docs.py`
checks that its tables, columns, types and nullability match this module).
"""

from __future__ import annotations

from dataclasses import dataclass, field

CHANNELS = (
    "organic",
    "paid_search",
    "paid_social",
    "email",
    "referral",
    "events",
    "partner",
    "other",
)
CUSTOMER_SEGMENTS = ("smb", "mid_market", "enterprise")
NPS_TOUCHPOINTS = ("post_purchase", "post_support", "relationship")
BILLING_INTERVALS = ("month", "year")
INVOICE_STATUSES = ("paid", "open", "void", "uncollectible")
DEPARTMENTS = (
    "sales",
    "marketing",
    "engineering",
    "product",
    "customer_success",
    "support",
    "finance",
    "people",
    "operations",
    "management",
)
EXPENSE_DEPARTMENTS = ("sales", "marketing")
ENGAGEMENT_DIMENSIONS = ("leadership", "growth", "culture", "wellbeing", "alignment")

# Source freshness: the loader stamps every raw table it writes with the UTC time of the load
# in this column (not a contract column: files do not carry it, staging does not select it).
# dbt's `source freshness` and Dagster's freshness checks measure its age: a load is expected
# daily, so a warning after 36 hours and an error after 72.
LOADED_AT_COLUMN = "_loaded_at"
FRESHNESS_WARN_AFTER_HOURS = 36
FRESHNESS_ERROR_AFTER_HOURS = 72

# Physical types used in the raw schemas (DuckDB spelling). Money keeps four decimals,
# exchange rates ten, so that converting never loses a cent.
MONEY = "decimal(18,4)"
RATE = "decimal(18,10)"
FTE = "decimal(6,4)"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # varchar | timestamp | date | integer | bigint | decimal(p,s)
    nullable: bool = False
    accepted_values: tuple[str, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None
    # Exclusive bounds (0 < fte): True means the bound itself is not allowed.
    strict_min: bool = False
    description: str = ""


@dataclass(frozen=True)
class ForeignKey:
    column: str
    references: str  # "<system>.<table>"
    referenced_column: str


@dataclass(frozen=True)
class Table:
    system: str
    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = field(default_factory=tuple)
    # Column that holds the currency of the money columns, and the column whose UTC date
    # picks the exchange rate (None: any rate of that currency will do).
    currency_column: str | None = None
    conversion_date_column: str | None = None

    @property
    def key(self) -> str:
        return f"{self.system}.{self.name}"

    @property
    def schema(self) -> str:
        return f"raw_{self.system}"

    @property
    def file_stem(self) -> str:
        return f"{self.system}__{self.name}"

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.key} has no column {name}")


def _fk(column: str, target: str) -> ForeignKey:
    system_table, referenced_column = target.rsplit(".", 1)
    return ForeignKey(column, system_table, referenced_column)


TABLES: tuple[Table, ...] = (
    Table(
        "crm",
        "customers",
        "One row per customer account.",
        (
            Column("customer_id", "varchar"),
            Column("created_at", "timestamp"),
            Column("company_name", "varchar"),
            Column("segment", "varchar", accepted_values=CUSTOMER_SEGMENTS),
            Column("region", "varchar"),
            Column("country_code", "varchar"),
            Column("acquisition_channel", "varchar", accepted_values=CHANNELS),
            Column("acquisition_campaign_id", "varchar", nullable=True),
            Column("lead_id", "varchar", nullable=True),
        ),
        ("customer_id",),
        (
            _fk("acquisition_campaign_id", "marketing.campaigns.campaign_id"),
            _fk("lead_id", "crm.leads.lead_id"),
        ),
    ),
    Table(
        "crm",
        "leads",
        "One row per lead.",
        (
            Column("lead_id", "varchar"),
            Column("created_at", "timestamp"),
            Column("channel", "varchar", accepted_values=CHANNELS),
            Column("campaign_id", "varchar", nullable=True),
            Column("qualified_at", "timestamp", nullable=True),
            Column("converted_customer_id", "varchar", nullable=True),
        ),
        ("lead_id",),
        (
            _fk("campaign_id", "marketing.campaigns.campaign_id"),
            _fk("converted_customer_id", "crm.customers.customer_id"),
        ),
    ),
    Table(
        "crm",
        "nps_responses",
        "One row per survey answer.",
        (
            Column("response_id", "varchar"),
            Column("customer_id", "varchar"),
            Column("responded_at", "timestamp"),
            Column("score", "integer", min_value=0, max_value=10),
            Column("touchpoint", "varchar", accepted_values=NPS_TOUCHPOINTS),
        ),
        ("response_id",),
        (_fk("customer_id", "crm.customers.customer_id"),),
    ),
    Table(
        "billing",
        "plans",
        "One row per plan of the price list.",
        (
            Column("plan_id", "varchar"),
            Column("plan_name", "varchar"),
            Column("product_line", "varchar"),
            Column("billing_interval", "varchar", accepted_values=BILLING_INTERVALS),
            Column("list_price", MONEY, min_value=0),
            Column("currency", "varchar"),
        ),
        ("plan_id",),
        currency_column="currency",
    ),
    Table(
        "billing",
        "subscriptions",
        "One row per subscription; ended_at is exclusive and null while running.",
        (
            Column("subscription_id", "varchar"),
            Column("customer_id", "varchar"),
            Column("plan_id", "varchar"),
            Column("started_at", "timestamp"),
            Column("ended_at", "timestamp", nullable=True),
            Column("mrr", MONEY, min_value=0),
            Column("currency", "varchar"),
        ),
        ("subscription_id",),
        (
            _fk("customer_id", "crm.customers.customer_id"),
            _fk("plan_id", "billing.plans.plan_id"),
        ),
        currency_column="currency",
        conversion_date_column="started_at",
    ),
    Table(
        "billing",
        "invoices",
        "One row per invoice or credit note (negative amount), net of tax.",
        (
            Column("invoice_id", "varchar"),
            Column("customer_id", "varchar"),
            Column("subscription_id", "varchar", nullable=True),
            Column("product_line", "varchar"),
            Column("issued_at", "timestamp"),
            Column("amount", MONEY),
            Column("currency", "varchar"),
            Column("status", "varchar", accepted_values=INVOICE_STATUSES),
        ),
        ("invoice_id",),
        (
            _fk("customer_id", "crm.customers.customer_id"),
            _fk("subscription_id", "billing.subscriptions.subscription_id"),
        ),
        currency_column="currency",
        conversion_date_column="issued_at",
    ),
    Table(
        "billing",
        "fx_rates",
        "Value of one unit of currency in the reporting currency, per day.",
        (
            Column("rate_date", "date"),
            Column("currency", "varchar"),
            Column("rate_to_reporting", RATE, min_value=0, strict_min=True),
        ),
        ("rate_date", "currency"),
    ),
    Table(
        "hr",
        "employees",
        "One row per employee; terminated_on is the last day worked.",
        (
            Column("employee_id", "varchar"),
            Column("department", "varchar", accepted_values=DEPARTMENTS),
            Column("product_line", "varchar", nullable=True),
            Column("hired_on", "date"),
            Column("terminated_on", "date", nullable=True),
            Column("fte", FTE, min_value=0, max_value=1, strict_min=True),
        ),
        ("employee_id",),
    ),
    Table(
        "hr",
        "payroll",
        "One row per employee and month (pay_month is the first day of the month).",
        (
            Column("employee_id", "varchar"),
            Column("pay_month", "date"),
            Column("gross_salary", MONEY, min_value=0),
            Column("employer_costs", MONEY, min_value=0),
            Column("currency", "varchar"),
        ),
        ("employee_id", "pay_month"),
        (_fk("employee_id", "hr.employees.employee_id"),),
        currency_column="currency",
        conversion_date_column="pay_month",
    ),
    Table(
        "hr",
        "engagement_responses",
        "One row per answered question of an anonymous engagement survey.",
        (
            Column("response_id", "varchar"),
            Column("survey_id", "varchar"),
            Column("survey_date", "date"),
            Column("respondent_id", "varchar"),
            Column("department", "varchar", accepted_values=DEPARTMENTS),
            Column("dimension", "varchar", accepted_values=ENGAGEMENT_DIMENSIONS),
            Column("question_id", "varchar"),
            Column("score", "integer", min_value=1, max_value=5),
        ),
        ("response_id",),
    ),
    Table(
        "marketing",
        "campaigns",
        "One row per marketing campaign.",
        (
            Column("campaign_id", "varchar"),
            Column("campaign_name", "varchar"),
            Column("channel", "varchar", accepted_values=CHANNELS),
            Column("started_on", "date"),
            Column("ended_on", "date", nullable=True),
        ),
        ("campaign_id",),
    ),
    Table(
        "marketing",
        "ad_spend",
        "One row per campaign and day.",
        (
            Column("spend_date", "date"),
            Column("campaign_id", "varchar"),
            Column("spend", MONEY, min_value=0),
            Column("currency", "varchar"),
            Column("impressions", "bigint", min_value=0),
            Column("clicks", "bigint", min_value=0),
        ),
        ("campaign_id", "spend_date"),
        (_fk("campaign_id", "marketing.campaigns.campaign_id"),),
        currency_column="currency",
        conversion_date_column="spend_date",
    ),
    Table(
        "marketing",
        "expenses",
        "Sales and marketing costs that are neither ad spend nor payroll.",
        (
            Column("expense_id", "varchar"),
            Column("booked_on", "date"),
            Column("department", "varchar", accepted_values=EXPENSE_DEPARTMENTS),
            Column("category", "varchar"),
            Column("amount", MONEY),
            Column("currency", "varchar"),
        ),
        ("expense_id",),
        currency_column="currency",
        conversion_date_column="booked_on",
    ),
    Table(
        "marketing",
        "web_events",
        "The high-volume table: one row per tracked web event.",
        (
            Column("event_id", "varchar"),
            Column("occurred_at", "timestamp"),
            Column("visitor_id", "varchar"),
            Column("session_id", "varchar"),
            Column("event_name", "varchar"),
            Column("channel", "varchar"),
            Column("campaign_id", "varchar", nullable=True),
        ),
        ("event_id",),
        (_fk("campaign_id", "marketing.campaigns.campaign_id"),),
    ),
    Table(
        "marketing",
        "market_sizes",
        "External market research: market revenue per region, product line and period.",
        (
            Column("period_start", "date"),
            Column("period_end", "date"),
            Column("region", "varchar"),
            Column("product_line", "varchar"),
            Column("market_revenue", MONEY, min_value=0),
            Column("currency", "varchar"),
            Column("source", "varchar"),
        ),
        ("period_start", "region", "product_line"),
        currency_column="currency",
        conversion_date_column="period_end",
    ),
)

TABLES_BY_KEY: dict[str, Table] = {table.key: table for table in TABLES}
SYSTEMS: tuple[str, ...] = ("crm", "billing", "hr", "marketing")


def table(key: str) -> Table:
    """Return the contract of `<system>.<table>`, raising KeyError with the known names."""
    try:
        return TABLES_BY_KEY[key]
    except KeyError:
        known = ", ".join(sorted(TABLES_BY_KEY))
        raise KeyError(f"unknown table {key!r}; the contract has: {known}") from None
