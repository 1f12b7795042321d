"""The MetricFlow metrics and saved queries of the semantic layer, generated from the KPI
catalogue (README "Semantic layer").

`models/semantic/_semantic__metrics.yml` and `_semantic__saved_queries.yml` are written by
`python -m nyckeltal.catalogue --write` (with the other generated files), so that a new KPI
gets its metrics from its catalogue row alone. The semantic models they read are hand-written
in `models/semantic/_semantic__models.yml`.

Every KPI gets a metric named after its kpi_code, the headline: its `total` rows (a KPI
without a total row: its first segment type, whose rows partition the KPI, e.g. every
campaign). A KPI with several segment types also gets `<kpi_code>_by_segment`, its segment
rows, to be grouped by `scorecard__segment_type` and `scorecard__segment_value`.

How a KPI aggregates follows from its catalogue row:
- a ratio (the default): a MetricFlow ratio metric of the summed scorecard numerators over
  the summed denominators, x 100 for a percent KPI and for a score bounded by -100 and +100
  (a difference of two percentages, as NPS). A quarter, a year or several segments thus
  give the pooled value, never an average of values;
- a trailing-window KPI (grain `ttm`): semi-additive, the scorecard value of the latest
  period in each queried period, since overlapping windows cannot be summed;
- a KPI in WIDE_MART_RATIOS: a ratio of two metrics of a wide mart, where the scorecard's
  numerator and denominator are themselves averages (cac_payback_months).
tests/test_semantic_layer.py checks every metric against marts.kpi_scorecard.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # nyckeltal.catalogue imports this module to write its files
    from nyckeltal.catalogue import Kpi

SEMANTIC_DIR = Path("models") / "semantic"
METRICS_FILE = SEMANTIC_DIR / "_semantic__metrics.yml"
SAVED_QUERIES_FILE = SEMANTIC_DIR / "_semantic__saved_queries.yml"
HEADER = (
    "# Generated from seeds/kpi_catalogue.csv by `python -m nyckeltal.catalogue --write`: "
    "do not edit."
)
# KPI -> (numerator metric, denominator metric) of the semantic model
# customer_acquisition_cost_monthly: cac / (average acquisition MRR x gross margin) is
# sales and marketing cost / (acquisition MRR x gross margin), a ratio of sums.
WIDE_MART_RATIOS = {"cac_payback_months": ("sales_marketing_cost", "gross_margin_acquisition_mrr")}
SEGMENT_GROUP_BY = ("Dimension('scorecard__segment_type')", "Dimension('scorecard__segment_value')")

BUILDING_BLOCKS = (
    (
        "kpi_numerator",
        "KPI numerator (building block)",
        "Sum of the scorecard numerators of the rows kept: meaningful only filtered on one "
        "kpi_code and on segments that do not overlap. The KPI ratio metrics divide it.",
    ),
    (
        "kpi_numerator_percent",
        "KPI numerator x 100 (building block)",
        "Sum of the scorecard numerators x 100, the numerator of the KPIs stored as percent; "
        "meaningful only filtered on one kpi_code.",
    ),
    (
        "kpi_denominator",
        "KPI denominator (building block)",
        "Sum of the scorecard denominators of the rows kept: meaningful only filtered on one "
        "kpi_code and on segments that do not overlap.",
    ),
    (
        "kpi_value_latest",
        "KPI value of the latest period (building block)",
        "The scorecard value of the rows of the latest period_start within each queried "
        "period; meaningful only filtered on one kpi_code and on segments that do not overlap.",
    ),
    (
        "sales_marketing_cost",
        "Sales and marketing cost",
        "Ad spend + marketing expenses + sales and marketing payroll cost of the period, in the "
        "reporting currency (marts.customer_acquisition_cost_monthly).",
    ),
    (
        "customers_acquired",
        "Customers acquired",
        "Customers whose earliest subscription started in the period "
        "(marts.customer_acquisition_cost_monthly).",
    ),
    (
        "gross_margin_acquisition_mrr",
        "Gross-margin acquisition MRR",
        "Acquisition MRR x gross margin of the customers acquired in the period, in the "
        "reporting currency (marts.customer_acquisition_cost_monthly).",
    ),
)


def headline_segment_type(kpi: Kpi) -> str:
    """The segment type of the headline metric's rows."""
    return "total" if "total" in kpi.segment_types else kpi.segment_types[0]


def has_segment_metric(kpi: Kpi) -> bool:
    return len(kpi.segment_types) > 1 and kpi.code not in WIDE_MART_RATIOS


def is_percent_scaled(kpi: Kpi) -> bool:
    """value = numerator / denominator x 100 (a percent, or a difference of percentages)."""
    return kpi.unit == "percent" or (kpi.min_value, kpi.max_value) == (-100, 100)


def is_semi_additive(kpi: Kpi) -> bool:
    return "ttm" in kpi.period_grains


def _aggregation(kpi: Kpi) -> str:
    if kpi.code in WIDE_MART_RATIOS:
        numerator, denominator = WIDE_MART_RATIOS[kpi.code]
        return (
            f"A ratio of sums: {numerator} / {denominator} of "
            "marts.customer_acquisition_cost_monthly (the scorecard's numerator and denominator "
            "are averages per customer and cannot be summed); over several months, the value "
            "of all the customers acquired in them. Total only."
        )
    if is_semi_additive(kpi):
        return (
            "Semi-additive: the scorecard value of the latest month within each queried period "
            "(a quarter shows its last month's trailing-twelve-month value), since the windows "
            "overlap and the value is not always numerator / denominator."
        )
    scale = " x 100" if is_percent_scaled(kpi) else ""
    return (
        f"A ratio: summed numerators / summed denominators{scale}, so that several periods or "
        "segments give the pooled value, never an average of values."
    )


def _filter(kpi: Kpi, segments: bool) -> str:
    headline = headline_segment_type(kpi)
    condition = f"!= '{headline}'" if segments and headline == "total" else f"= '{headline}'"
    lines = [f"{{{{ Dimension('scorecard__kpi_code') }}}} = '{kpi.code}'"]
    if not (segments and headline != "total"):
        lines.append(f"and {{{{ Dimension('scorecard__segment_type') }}}} {condition}")
    return "\n".join(lines)


def _metric(name: str, label: str, description: str, kind: str, params: dict, filter_: str = ""):
    lines = [f"  - name: {name}", f"    label: {label}", "    description: >"]
    lines += [f"      {line}" for line in textwrap.wrap(description, 90, break_on_hyphens=False)]
    lines += [f"    type: {kind}", "    type_params:"]
    lines += [f"      {key}: {value}" for key, value in params.items()]
    if filter_:
        lines += ["    filter: |"] + [f"      {line}" for line in filter_.splitlines()]
    return lines


def _kpi_metric(kpi: Kpi, segments: bool) -> list[str]:
    name = f"{kpi.code}_by_segment" if segments else kpi.code
    label = f"{kpi.display_name} by segment" if segments else kpi.display_name
    headline = headline_segment_type(kpi)
    if segments:
        others = ", ".join(t for t in kpi.segment_types if t != "total")
        scope = (
            f"The segment rows ({others}): group by scorecard__segment_type and "
            "scorecard__segment_value (or filter one segment_type), since the breakdowns overlap."
        )
    elif headline == "total":
        scope = "The total/all rows."
    else:
        scope = (
            f"No total row: the {headline} rows, pooled (group by scorecard__segment_value for "
            f"one {headline})."
        )
    if len(kpi.period_grains) > 1:
        scope += (
            f" Its periods ({', '.join(kpi.period_grains)}) overlap in time: group by "
            "scorecard__period_grain (or filter it)."
        )
    description = f"{kpi.definition} {scope} {_aggregation(kpi)}"
    if kpi.code in WIDE_MART_RATIOS:
        numerator, denominator = WIDE_MART_RATIOS[kpi.code]
        params = {"numerator": numerator, "denominator": denominator}
        return _metric(name, label, description, "ratio", params)
    if is_semi_additive(kpi):
        params = {"measure": "kpi_value_latest"}
        return _metric(name, label, description, "simple", params, _filter(kpi, segments))
    numerator = "kpi_numerator_percent" if is_percent_scaled(kpi) else "kpi_numerator"
    params = {"numerator": numerator, "denominator": "kpi_denominator"}
    return _metric(name, label, description, "ratio", params, _filter(kpi, segments))


def metrics_yaml(kpis: Sequence[Kpi]) -> str:
    lines = [
        "version: 2",
        "",
        HEADER,
        "# One metric per KPI (its kpi_code: the headline) and <kpi_code>_by_segment for the KPIs",
        "# with segments; how each aggregates: nyckeltal/semantic.py.",
        "",
        "metrics:",
    ]
    for name, label, description in BUILDING_BLOCKS:
        lines += _metric(name, label, description, "simple", {"measure": name})
    for kpi in kpis:
        lines += _kpi_metric(kpi, segments=False)
        if has_segment_metric(kpi):
            lines += _kpi_metric(kpi, segments=True)
    return "\n".join(lines) + "\n"


def _time_grain(kpis: Sequence[Kpi]) -> str:
    """metric_time's grain for a view: month when every KPI is monthly (month or ttm rows),
    else day (the period_start of a survey wave, a campaign, a market period)."""
    monthly = all(set(kpi.period_grains) <= {"month", "ttm"} for kpi in kpis)
    return "month" if monthly else "day"


def _saved_query(name: str, label: str, description: str, metrics: list[str], group_by: list[str]):
    lines = [f"  - name: {name}", f"    label: {label}", "    description: >"]
    lines += [f"      {line}" for line in textwrap.wrap(description, 90, break_on_hyphens=False)]
    lines += ["    query_params:", "      metrics:"] + [f"        - {metric}" for metric in metrics]
    lines += ["      group_by:"] + [f"        - {item}" for item in group_by]
    return lines + [""]


def saved_queries_yaml(kpis: Sequence[Kpi]) -> str:
    """kpi_headlines_monthly (the headline of every monthly KPI) and, per family, its segment
    view: `<family>_segments`."""
    lines = [
        "version: 2",
        "",
        HEADER,
        "# The scorecard views of the KPI report: `mf query --saved-query <name>`.",
        "",
        "saved_queries:",
    ]
    monthly = [kpi for kpi in kpis if set(kpi.period_grains) <= {"month", "ttm"}]
    lines += _saved_query(
        "kpi_headlines_monthly",
        "KPI headlines by month",
        "The headline (total/all) of every monthly KPI, one row per month: the overview of the "
        "KPI report. Trailing-twelve-month KPIs show the month's value.",
        [kpi.code for kpi in monthly if headline_segment_type(kpi) == "total"],
        ["TimeDimension('metric_time', 'month')"],
    )
    for family in dict.fromkeys(kpi.family for kpi in kpis):
        members = [kpi for kpi in kpis if kpi.family == family]
        segmented = [kpi for kpi in members if has_segment_metric(kpi)]
        if segmented:
            metrics = [f"{kpi.code}_by_segment" for kpi in segmented]
        else:
            segmented = [kpi for kpi in members if headline_segment_type(kpi) != "total"]
            metrics = [kpi.code for kpi in segmented]
        if not metrics:
            continue
        group_by = [f"TimeDimension('metric_time', '{_time_grain(segmented)}')"]
        if any(len(kpi.period_grains) > 1 for kpi in segmented):
            group_by.append("Dimension('scorecard__period_grain')")
        group_by += list(SEGMENT_GROUP_BY)
        family_name = segmented[0].family_name
        lines += _saved_query(
            f"{family}_segments",
            f"{family_name} by segment",
            f"The segment rows of the {family_name} family ({', '.join(metrics)}) per period, "
            "segment_type and segment_value: the family page of the KPI report.",
            metrics,
            group_by,
        )
    return "\n".join(lines).rstrip("\n") + "\n"


def generated(kpis: Sequence[Kpi]) -> dict[Path, str]:
    """The generated files of the semantic layer (relative to the project) and their text,
    for the catalogue entries `kpis`."""
    return {METRICS_FILE: metrics_yaml(kpis), SAVED_QUERIES_FILE: saved_queries_yaml(kpis)}
