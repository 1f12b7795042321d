"""The suites of the marts: the `kpi_scorecard` contract (docs/kpis.md#the-kpi_scorecard-contract)
and the wide marts BI tools read beside it.

- `marts__kpi_scorecard`: columns, keys, enumerations, KPI ranges and nulls;
- `marts__kpi_scorecard__reconciliation`: segment rows that partition the total (every customer
  has one segment, every response one touchpoint, every visitor one channel) must sum to the
  total row, numerator and denominator, per KPI and period;
- `marts__<mart>` for every other mart with an enforced contract under models/marts: the
  contract's columns, the grain (the one unique key of the YAML, `MartContract.grain`)
  unique and never null, the YAML's `not_null` and `accepted_values` data tests,
  `MART_BOUNDS` (percentages 0-100, NPS -100..100, engagement 1-5, counts and costs made of
  ad spend, MRR or FTE >= 0), `MART_ORDERED` (a part never exceeds its whole, periods never
  end before they start) and `MART_NULLS` (suppressed engagement groups publish no number).
  Columns, data tests and the grain come from the model YAML (`mart_contracts`), so the
  suites follow the contract dbt enforces.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nyckeltal import catalogue
from nyckeltal.quality.mart_contracts import MartContract, mart_contracts
from nyckeltal.quality.severity import ERROR
from nyckeltal.quality.spec import MART, RECONCILIATION, SCORECARD, Check, SuiteSpec
from nyckeltal.scorecard import PUBLISHED_COLUMNS, SCORECARD_RELATION, STATUSES
from nyckeltal.settings import PACKAGE_PROJECT_DIR

SCORECARD_SUITE = "marts__kpi_scorecard"
RECONCILIATION_SUITE = "marts__kpi_scorecard__reconciliation"


def bounds(kpi: catalogue.Kpi) -> tuple[float | None, float | None, str]:
    return (kpi.min_value, kpi.max_value, kpi.bounds_reason)


def kpi_units(project: Path = PACKAGE_PROJECT_DIR) -> dict[str, str]:
    """Every kpi_code of the catalogue (seeds/kpi_catalogue.csv) and its unit."""
    return {kpi.code: kpi.unit for kpi in catalogue.kpis(project)}


# Columns that may be null: no number for a suppressed row or a zero denominator, no target,
# no previous period.
NULLABLE = (
    "numerator",
    "denominator",
    "value",
    "target_value",
    "previous_value",
    "previous_status",
    "currency_code",
)
REQUIRED = tuple(column for column in PUBLISHED_COLUMNS if column not in NULLABLE)


def enumerations(project: Path = PACKAGE_PROJECT_DIR) -> dict[str, tuple[tuple[Any, ...], str]]:
    """The enumerated columns of the contract: their values and why."""
    return {
        "kpi_code": (tuple(kpi_units(project)), "a kpi_code of the catalogue"),
        "unit": (catalogue.UNITS, "a unit of the contract"),
        "status": (STATUSES, "a status of the contract"),
        "period_grain": (catalogue.GRAINS, "a period grain of the contract"),
    }


def ranges(
    project: Path = PACKAGE_PROJECT_DIR,
) -> tuple[tuple[tuple[str, ...], float | None, float | None, str], ...]:
    """Value bounds of the catalogue, one check per (low, high, reason): shares of a whole
    0..100 %, NPS -100..100, engagement 1-5; ad spend and MRR KPIs >= 0. (ROI, market share
    and the rest are unbounded.)"""
    kpis = catalogue.kpis(project)
    return tuple(
        (tuple(kpi.code for kpi in kpis if bounds(kpi) == bound), *bound)
        for bound in dict.fromkeys(
            bounds(kpi) for kpi in kpis if kpi.min_value is not None or kpi.max_value is not None
        )
    )


def reconciled(project: Path = PACKAGE_PROJECT_DIR) -> dict[str, tuple[str, ...]]:
    """KPI -> segment types whose rows partition the total/all row of the same period."""
    return {
        kpi.code: kpi.reconciled_segment_types
        for kpi in catalogue.kpis(project)
        if kpi.reconciled_segment_types
    }


def _condition(column: str, operator: str, parameter: object) -> dict[str, object]:
    """A GX row condition (as `great_expectations.expectations.row_conditions` serialises
    `Column(column) <operator> parameter`), applied before the expectation."""
    return {
        "type": "comparison",
        "column": {"name": column},
        "operator": operator,
        "parameter": list(parameter) if isinstance(parameter, tuple) else parameter,
    }


def _in(codes: tuple[str, ...]) -> dict[str, object]:
    return _condition("kpi_code", "IN", codes)


# Rows whose value must be defined (is_value_expected is computed by the scorecard query asset).
VALUE_EXPECTED = _condition("is_value_expected", "==", True)
SUPPRESSED = _condition("is_suppressed", "==", True)


def scorecard_suite(project: Path = PACKAGE_PROJECT_DIR) -> SuiteSpec:
    key = mart_contracts(project)[SCORECARD_MART].grain
    units = kpi_units(project)
    checks = [
        Check(
            "expect_table_columns_to_match_set",
            {"column_set": list(PUBLISHED_COLUMNS), "exact_match": False},
            reason="the kpi_scorecard contract columns",
        ),
        Check(
            "expect_compound_columns_to_be_unique",
            {"column_list": list(key)},
            reason=f"one row per ({', '.join(key)})",
        ),
    ]
    checks += [
        Check(
            "expect_column_values_to_not_be_null",
            {"column": column},
            reason=f"{column} is never null, suppressed rows included",
        )
        for column in REQUIRED
    ]
    checks += [
        Check(
            "expect_column_values_to_be_in_set",
            {"column": column, "value_set": list(values)},
            reason=reason,
        )
        for column, (values, reason) in enumerations(project).items()
    ]
    checks += [
        Check(
            "expect_column_values_to_be_in_set",
            {
                "column": "segment_value",
                "value_set": ["all"],
                "row_condition": _condition("segment_type", "==", "total"),
            },
            reason="the total row is segment total/all",
        ),
        Check(
            "expect_column_pair_values_a_to_be_greater_than_b",
            {"column_A": "period_end", "column_B": "period_start", "or_equal": True},
            reason="period_end is the inclusive last day, never before period_start",
        ),
    ]
    for unit in catalogue.UNITS:
        codes = tuple(code for code, code_unit in units.items() if code_unit == unit)
        checks.append(
            Check(
                "expect_column_values_to_be_in_set",
                {
                    "column": "unit",
                    "value_set": [unit],
                    "row_condition": _in(codes),
                },
                reason=f"{', '.join(codes)} are expressed in {unit}",
            )
        )
    checks += [
        Check(
            "expect_column_values_to_not_be_null",
            {"column": "currency_code", "row_condition": _condition("unit", "==", "currency")},
            reason="a money row names its currency",
        ),
        Check(
            "expect_column_values_to_match_regex",
            {
                "column": "currency_code",
                "regex": "^[A-Z]{3}$",
                "row_condition": _condition("unit", "==", "currency"),
            },
            reason="a money row names its currency (an ISO 4217 code, the reporting currency)",
        ),
        Check(
            "expect_column_values_to_be_null",
            {"column": "currency_code", "row_condition": _condition("unit", "!=", "currency")},
            reason="only money rows carry a currency code",
        ),
    ]
    for codes, low, high, reason in ranges(project):
        kwargs: dict[str, Any] = {"column": "value"}
        if low is not None:
            kwargs["min_value"] = low
        if high is not None:
            kwargs["max_value"] = high
        kwargs["row_condition"] = _in(codes)
        checks.append(
            Check(
                "expect_column_values_to_be_between",
                kwargs,
                reason=f"{', '.join(codes)}: {reason}",
            )
        )
    checks.append(
        Check(
            "expect_column_values_to_not_be_null",
            {"column": "value", "row_condition": VALUE_EXPECTED},
            reason="value is null only when suppressed, when numerator or denominator is null "
            "or when the denominator is 0 (is_value_expected is false then)",
        )
    )
    for column in ("value", "numerator", "denominator"):
        checks.append(
            Check(
                "expect_column_values_to_be_null",
                {
                    "column": column,
                    "row_condition": SUPPRESSED,
                },
                reason=f"a suppressed row publishes no {column} (anonymity)",
            )
        )
    return SuiteSpec(
        name=SCORECARD_SUITE,
        kind=SCORECARD,
        description=f"The {SCORECARD_RELATION} contract: keys, enumerations, KPI ranges and "
        "nulls. The query asset adds is_value_expected = not is_suppressed and numerator "
        "and denominator not null and denominator <> 0.",
        checks=tuple(checks),
        table=SCORECARD_RELATION,
        meta={"severity_default": ERROR},
    )


def reconciliation_suite(project: Path = PACKAGE_PROJECT_DIR) -> SuiteSpec:
    rules = reconciled(project)
    described = "; ".join(f"{code}: {', '.join(types)}" for code, types in rules.items())
    checks = tuple(
        Check(
            "expect_column_values_to_be_in_set",
            {"column": f"{side}_reconciles", "value_set": [True]},
            reason=f"the segment rows' {side}s sum to the total/all {side} of the same KPI "
            "and period (relative tolerance 1e-6)",
        )
        for side in ("numerator", "denominator")
    )
    return SuiteSpec(
        name=RECONCILIATION_SUITE,
        kind=RECONCILIATION,
        description="Segments that partition the total must add up to it. One row per KPI, "
        f"period and segment type of: {described}.",
        checks=checks,
        table=SCORECARD_RELATION,
        meta={"reconciled": {code: list(types) for code, types in rules.items()}},
    )


# --------------------------------------------------------------------------- wide marts

SCORECARD_MART = SCORECARD_RELATION.split(".")[1]

# A mart's grain is written once, as the one unique key of its model YAML (a `unique` column
# or a `unique_combination_of_columns` test): `MartContract.grain` reads it from there.


@dataclass(frozen=True)
class Bound:
    """Values of `columns` lie in [low, high] (None: unbounded), on rows matching `when`."""

    columns: tuple[str, ...]
    low: float | None
    high: float | None
    reason: str
    when: dict[str, Any] | None = None


@dataclass(frozen=True)
class Ordered:
    """`larger` >= `smaller` on every row where both are defined."""

    larger: str
    smaller: str
    reason: str


@dataclass(frozen=True)
class Nulls:
    """`columns` are null (`null=True`) or defined (`null=False`) on the rows matching `when`."""

    columns: tuple[str, ...]
    null: bool
    when: dict[str, Any]
    reason: str


COUNT = "a count is never negative"
SHARE = "a share of a whole is a percentage between 0 and 100"
AD_SPEND = "ad spend is never negative (raw spend >= 0), nor a cost made of it alone"
MRR = "MRR is never negative (raw mrr >= 0), nor a movement of it (each is an amount)"
PART = "a subset never outnumbers the set it is taken from"

# What is deliberately NOT bounded (legitimately negative or unbounded): revenue and what is
# made of it (credit notes can exceed invoices: revenue, revenue_per_fte, company_revenue,
# market_share_pct, campaign returns and ROI, LTV and gross margin per customer-month), and
# costs that include marketing.expenses, whose amounts the raw contract leaves unbounded
# (credits): expenses, sales_marketing_cost, cac, cac_payback_months, the total ttm_cac.
MART_BOUNDS: dict[str, tuple[Bound, ...]] = {
    "campaign_roi": (Bound(("cost_3m", "cost_6m", "cost_12m"), 0, None, AD_SPEND),),
    "customer_acquisition_cost_monthly": (
        Bound(("customers_acquired",), 0, None, COUNT),
        Bound(("ad_spend", "cac_paid"), 0, None, AD_SPEND),
        Bound(("sales_marketing_payroll_cost",), 0, None, "salaries and employer costs >= 0"),
        Bound(
            ("gross_margin_acquisition_mrr",),
            0,
            None,
            "average acquisition MRR (never negative) x the gross margin",
        ),
    ),
    "customer_lifetime_value_ttm": (
        Bound(("monthly_churn_rate",), 0, 1, "pooled monthly churn is a fraction: 0-1"),
        Bound(
            ("ttm_cac",),
            0,
            None,
            "a channel's CAC is its ad spend / its acquisitions, never negative (the total "
            "includes expenses, which may be credits)",
            _condition("segment_type", "==", "channel"),
        ),
    ),
    "customer_retention_monthly": (
        Bound(("customers_at_start", "churned_customers"), 0, None, COUNT),
        Bound(("mrr_at_start", "lost_mrr", "retained_mrr"), 0, None, MRR),
        Bound(("churn_rate_pct", "revenue_churn_rate_pct"), 0, 100, SHARE),
        Bound(
            ("net_revenue_retention_pct",),
            0,
            None,
            "retained MRR / MRR at start: never negative, above 100 with expansion",
        ),
    ),
    "employee_engagement_by_wave": (
        Bound(("respondent_count", "response_count", "favorable_response_count"), 0, None, COUNT),
        Bound(("engagement_score",), 1, 5, "the mean of answers on a 1-5 scale"),
        Bound(("favorable_pct",), 0, 100, SHARE),
    ),
    "lead_costs_monthly": (
        Bound(("leads_created", "marketing_qualified_leads"), 0, None, COUNT),
        Bound(("ad_spend", "cost_per_lead", "cost_per_mql"), 0, None, AD_SPEND),
    ),
    "market_share_by_period": (
        Bound(("market_revenue",), 0, None, "market research figures are never negative"),
    ),
    "mrr_movements_monthly": (
        Bound(
            (
                "customers_at_start",
                "new_customers",
                "reactivated_customers",
                "churned_customers",
                "customers_at_end",
            ),
            0,
            None,
            COUNT,
        ),
        Bound(
            (
                "mrr_at_start",
                "new_mrr",
                "reactivated_mrr",
                "expansion_mrr",
                "contraction_mrr",
                "churned_mrr",
                "mrr_at_end",
            ),
            0,
            None,
            MRR,
        ),
    ),
    "nps_monthly": (
        Bound(("responses",), 0, None, COUNT),
        Bound(
            ("net_promoter_score",),
            -100,
            100,
            "NPS is % promoters - % detractors, between -100 and +100",
        ),
    ),
    "paid_channel_acquisition_cost_monthly": (
        Bound(("customers_acquired",), 0, None, COUNT),
        Bound(("ad_spend", "cac_paid"), 0, None, AD_SPEND),
    ),
    "revenue_per_employee_monthly": (
        Bound(("average_fte",), 0, None, "FTE is never negative, nor its average over days"),
    ),
    "web_conversion_monthly": (
        Bound(("visitors", "converted_visitors", "funnel_completed_visitors"), 0, None, COUNT),
        Bound(("conversion_rate_pct", "funnel_completion_pct"), 0, 100, SHARE),
    ),
    "web_funnel_monthly": (
        Bound(("step_order",), 1, None, "funnel steps are numbered from 1 (seed funnel_steps)"),
        Bound(
            ("visitors_reaching_step", "visitors_reaching_previous_step", "visitors"),
            0,
            None,
            COUNT,
        ),
        Bound(("step_conversion_pct", "conversion_from_visit_pct"), 0, 100, SHARE),
    ),
}

# Pairs of columns where one is part of the other (period ends are added for every mart that
# has month_start/month_end or period_start/period_end, see `_period_pairs`).
MART_ORDERED: dict[str, tuple[Ordered, ...]] = {
    "campaign_roi": (
        Ordered("window_end_3m", "started_on", "every window starts on started_on"),
        Ordered("window_end_6m", "window_end_3m", "the 6-month window contains the 3-month one"),
        Ordered("window_end_12m", "window_end_6m", "the 12-month window contains the 6-month"),
    ),
    "customer_retention_monthly": (
        Ordered("customers_at_start", "churned_customers", f"{PART}: churned of those at start"),
    ),
    "employee_engagement_by_wave": (
        Ordered("response_count", "favorable_response_count", f"{PART}: favourable responses"),
        Ordered("response_count", "respondent_count", "every respondent answered a question"),
    ),
    "nps_monthly": (Ordered("responses", "net_promoters", "promoters - detractors <= responses"),),
    "web_conversion_monthly": (
        Ordered("visitors", "converted_visitors", f"{PART}: converted visitors"),
        Ordered("visitors", "funnel_completed_visitors", f"{PART}: funnel completers"),
    ),
    "web_funnel_monthly": (
        Ordered("visitors", "visitors_reaching_step", f"{PART}: visitors reaching the step"),
        Ordered(
            "visitors_reaching_previous_step",
            "visitors_reaching_step",
            "a visitor reaches a step only after the previous one (in order)",
        ),
    ),
}
PERIOD_PAIRS = (("month_end", "month_start"), ("period_end", "period_start"))

SUPPRESSED_NUMBERS = (
    "respondent_count",
    "response_count",
    "favorable_response_count",
    "engagement_score",
    "favorable_pct",
)
MART_NULLS: dict[str, tuple[Nulls, ...]] = {
    "customer_lifetime_value_ttm": (
        Nulls(
            ("monthly_churn_rate",),
            True,
            _condition("is_lifetime_capped", "==", True),
            "monthly churn is not published when the lifetime cap applied",
        ),
    ),
    "employee_engagement_by_wave": (
        Nulls(
            SUPPRESSED_NUMBERS,
            True,
            SUPPRESSED,
            "a suppressed group publishes no number (anonymity: none can be read or recovered)",
        ),
        Nulls(
            SUPPRESSED_NUMBERS,
            False,
            _condition("is_suppressed", "==", False),
            "a group that is not suppressed has responses, so every number is defined",
        ),
    ),
    "web_conversion_monthly": (
        Nulls(
            ("funnel_completed_visitors", "funnel_completion_pct"),
            True,
            _condition("segment_type", "==", "channel"),
            "the funnel completion is published on the total rows only",
        ),
    ),
}


def mart_suite_name(mart: str) -> str:
    return f"marts__{mart}"


def _period_pairs(contract: MartContract) -> tuple[Ordered, ...]:
    return tuple(
        Ordered(end, start, f"{end} is the inclusive last day, never before {start}")
        for end, start in PERIOD_PAIRS
        if end in contract.columns and start in contract.columns
    )


def _unknown_columns(contract: MartContract) -> list[str]:
    named = [c for bound in MART_BOUNDS.get(contract.name, ()) for c in bound.columns]
    named += [c for nulls in MART_NULLS.get(contract.name, ()) for c in nulls.columns]
    for pair in MART_ORDERED.get(contract.name, ()):
        named += [pair.larger, pair.smaller]
    return sorted(set(named) - set(contract.columns))


def wide_mart_suite(contract: MartContract) -> SuiteSpec:
    """The suite of one wide mart, from its YAML contract and the policy tables above."""
    mart = contract.name
    unknown = _unknown_columns(contract)
    if unknown:
        raise KeyError(f"mart_suites names columns {unknown} that {mart} does not have")
    key = contract.grain
    checks = [
        Check(
            "expect_table_columns_to_match_set",
            {"column_set": list(contract.columns), "exact_match": False},
            reason=f"the columns of the {mart} contract ({contract.path})",
        ),
        # GX's compound expectation needs two columns at least.
        Check(
            "expect_compound_columns_to_be_unique",
            {"column_list": list(key)},
            reason=f"the grain: one row per ({', '.join(key)})",
        )
        if len(key) > 1
        else Check(
            "expect_column_values_to_be_unique",
            {"column": key[0]},
            reason=f"the grain: one row per {key[0]}",
        ),
    ]
    required = [c for c in contract.columns if c in key or c in contract.not_null]
    checks += [
        Check(
            "expect_column_values_to_not_be_null",
            {"column": column},
            reason="a key column of the grain is never null"
            if column in key
            else f"not_null in the {mart} contract",
        )
        for column in required
    ]
    checks += [
        Check(
            "expect_column_values_to_be_in_set",
            {"column": column, "value_set": list(values)},
            reason=f"accepted_values of {column} in the {mart} contract",
        )
        for column, values in contract.accepted_values.items()
    ]
    for bound in MART_BOUNDS.get(mart, ()):
        for column in bound.columns:
            kwargs: dict[str, Any] = {"column": column}
            if bound.low is not None:
                kwargs["min_value"] = bound.low
            if bound.high is not None:
                kwargs["max_value"] = bound.high
            if bound.when is not None:
                kwargs["row_condition"] = bound.when
            checks.append(Check("expect_column_values_to_be_between", kwargs, reason=bound.reason))
    for pair in (*_period_pairs(contract), *MART_ORDERED.get(mart, ())):
        checks.append(
            Check(
                "expect_column_pair_values_a_to_be_greater_than_b",
                {
                    "column_A": pair.larger,
                    "column_B": pair.smaller,
                    "or_equal": True,
                    "ignore_row_if": "either_value_is_missing",
                },
                reason=pair.reason,
            )
        )
    for nulls in MART_NULLS.get(mart, ()):
        expectation = (
            "expect_column_values_to_be_null"
            if nulls.null
            else "expect_column_values_to_not_be_null"
        )
        checks += [
            Check(expectation, {"column": column, "row_condition": nulls.when}, reason=nulls.reason)
            for column in nulls.columns
        ]
    return SuiteSpec(
        name=mart_suite_name(mart),
        kind=MART,
        description=f"The {contract.relation} contract ({contract.path}): columns, the grain "
        f"({', '.join(key)}) unique and not null, the YAML's not_null and accepted_values, "
        "ranges, ordered pairs and nulls where meaningful.",
        checks=tuple(checks),
        table=contract.relation,
        meta={"severity_default": ERROR, "key": list(key), "contract": contract.path},
    )


def wide_mart_suites(project: Path = PACKAGE_PROJECT_DIR) -> list[SuiteSpec]:
    """One suite per mart with an enforced contract, kpi_scorecard excepted (its own suites)."""
    return [
        wide_mart_suite(contract)
        for name, contract in mart_contracts(project).items()
        if name != SCORECARD_MART
    ]


def mart_suites(project: Path = PACKAGE_PROJECT_DIR) -> list[SuiteSpec]:
    """The suites of the marts of `project` (the run's RunContext.project_dir)."""
    return [
        scorecard_suite(project),
        reconciliation_suite(project),
        *wide_mart_suites(project),
    ]
