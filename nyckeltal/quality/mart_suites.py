"""The suites of the marts: the `kpi_scorecard` contract (kpis.md, end of file).

- `marts__kpi_scorecard`: columns, keys, enumerations, KPI ranges and nulls;
- `marts__kpi_scorecard__reconciliation`: segment rows that partition the total (every customer
  has one segment, every response one touchpoint, every visitor one channel) must sum to the
  total row, numerator and denominator, per KPI and period.
"""

from __future__ import annotations

from nyckeltal.quality.severity import ERROR
from nyckeltal.quality.spec import RECONCILIATION, SCORECARD, Check, SuiteSpec
from nyckeltal.scorecard import COLUMNS, SCORECARD_RELATION

SCORECARD_SUITE = "marts__kpi_scorecard"
RECONCILIATION_SUITE = "marts__kpi_scorecard__reconciliation"
KEY = ("kpi_code", "period_start", "segment_type", "segment_value")

# Every kpi_code of the catalogue and its unit.
KPI_UNITS = {
    "revenue_per_employee": "currency",
    "cac": "currency",
    "cac_paid": "currency",
    "cac_payback_months": "months",
    "ltv": "currency",
    "ltv_to_cac": "ratio",
    "conversion_rate": "percent",
    "funnel_step_conversion": "percent",
    "roi_3m": "percent",
    "roi_6m": "percent",
    "roi_12m": "percent",
    "churn_rate": "percent",
    "revenue_churn_rate": "percent",
    "net_revenue_retention": "percent",
    "nps": "score",
    "cpl": "currency",
    "cost_per_mql": "currency",
    "engagement_score": "score",
    "engagement_favorable_pct": "percent",
    "market_share": "percent",
}
UNITS = ("currency", "percent", "months", "ratio", "score")
STATUSES = ("on_track", "at_risk", "off_track", "no_target")
GRAINS = ("month", "ttm", "quarter", "year", "campaign_window", "survey")
REQUIRED = (
    "kpi_code",
    "period_start",
    "period_end",
    "period_grain",
    "segment_type",
    "segment_value",
    "unit",
    "status",
    "is_complete_period",
    "is_suppressed",
)
# Shares of a whole: 0..100 %. (ROI, NRR, market share and the rest are unbounded.)
BOUNDED_PERCENT = (
    "churn_rate",
    "revenue_churn_rate",
    "conversion_rate",
    "funnel_step_conversion",
    "engagement_favorable_pct",
)
RANGES = (
    (BOUNDED_PERCENT, 0, 100, "a share of a whole is a percentage between 0 and 100"),
    (("nps",), -100, 100, "NPS is % promoters - % detractors, between -100 and +100"),
    (("engagement_score",), 1, 5, "the mean of answers on a 1-5 scale"),
)
NON_NEGATIVE = (
    ("cac_paid", "cpl", "cost_per_mql", "net_revenue_retention"),
    "ad spend and MRR are never negative, so neither are these",
)
# KPI -> segment types whose rows partition the total/all row of the same period.
RECONCILED = {
    "churn_rate": ("customer_segment", "plan", "product_line"),
    "revenue_churn_rate": ("customer_segment", "plan", "product_line"),
    "net_revenue_retention": ("customer_segment", "plan", "product_line"),
    "nps": ("touchpoint", "customer_segment"),
    "conversion_rate": ("channel",),
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


# Rows whose value must be defined (is_value_expected is computed by the fetch).
VALUE_EXPECTED = _condition("is_value_expected", "==", True)
SUPPRESSED = _condition("is_suppressed", "==", True)


def scorecard_suite() -> SuiteSpec:
    checks = [
        Check(
            "expect_table_columns_to_match_set",
            {"column_set": list(COLUMNS), "exact_match": False},
            reason="the kpi_scorecard contract columns",
        ),
        Check(
            "expect_compound_columns_to_be_unique",
            {"column_list": list(KEY)},
            reason="one row per (kpi_code, period_start, segment_type, segment_value)",
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
            {"column": "kpi_code", "value_set": list(KPI_UNITS)},
            reason="a kpi_code of the catalogue",
        ),
        Check(
            "expect_column_values_to_be_in_set",
            {"column": "unit", "value_set": list(UNITS)},
            reason="a unit of the contract",
        ),
        Check(
            "expect_column_values_to_be_in_set",
            {"column": "status", "value_set": list(STATUSES)},
            reason="a status of the contract",
        ),
        Check(
            "expect_column_values_to_be_in_set",
            {"column": "period_grain", "value_set": list(GRAINS)},
            reason="a period grain of the contract",
        ),
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
    for unit in UNITS:
        codes = tuple(code for code, code_unit in KPI_UNITS.items() if code_unit == unit)
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
    for codes, low, high, reason in RANGES:
        checks.append(
            Check(
                "expect_column_values_to_be_between",
                {
                    "column": "value",
                    "min_value": low,
                    "max_value": high,
                    "row_condition": _in(codes),
                },
                reason=f"{', '.join(codes)}: {reason}",
            )
        )
    codes, reason = NON_NEGATIVE
    checks.append(
        Check(
            "expect_column_values_to_be_between",
            {
                "column": "value",
                "min_value": 0,
                "row_condition": _in(codes),
            },
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
        "nulls. The fetch adds is_value_expected = not is_suppressed and numerator and "
        "denominator not null and denominator <> 0.",
        checks=tuple(checks),
        table=SCORECARD_RELATION,
        meta={"severity_default": ERROR},
    )


def reconciliation_suite() -> SuiteSpec:
    rules = "; ".join(f"{code}: {', '.join(types)}" for code, types in RECONCILED.items())
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
        f"period and segment type of: {rules}.",
        checks=checks,
        table=SCORECARD_RELATION,
        meta={"reconciled": {code: list(types) for code, types in RECONCILED.items()}},
    )


def mart_suites() -> list[SuiteSpec]:
    return [scorecard_suite(), reconciliation_suite()]
