"""The generated sections of docs/kpis.md: the per-KPI summary and the targets, from the KPI
catalogue (`seeds/kpi_catalogue.csv`) and the targets seed (`seeds/kpi_targets.csv`).

`python -m nyckeltal.catalogue --write` (`make catalogue`) rewrites the text between the
markers, so that a new KPI is documented by its catalogue row alone; the prose around them
(conventions, one section per family, the decisions) stays hand-written. A KPI's family links
to the family's `## <family_name>` section when docs/kpis.md has one.
tests/test_docs.py checks that the committed sections are the generated ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # nyckeltal.catalogue imports this module to write its files
    from nyckeltal.catalogue import Kpi

KPIS_MD = Path("docs") / "kpis.md"
TARGETS_FILE = Path("seeds") / "kpi_targets.csv"
GENERATED_BY = "by `python -m nyckeltal.catalogue --write`; do not edit"
SUMMARY_START = (
    f"<!-- kpi-summary:start (generated from seeds/kpi_catalogue.csv {GENERATED_BY}) -->"
)
SUMMARY_END = "<!-- kpi-summary:end -->"
TARGETS_START = f"<!-- kpi-targets:start (generated from seeds/kpi_targets.csv {GENERATED_BY}) -->"
TARGETS_END = "<!-- kpi-targets:end -->"


def replace_between(text: str, start_marker: str, end_marker: str, body: str, name: str) -> str:
    """`text` with what lies between the two marker lines replaced by `body`."""
    start, end = text.find(start_marker), text.find(end_marker)
    if start < 0 or end < start:
        raise ValueError(f"{name} has no {start_marker} ... {end_marker} section")
    return f"{text[: start + len(start_marker)]}\n{body}\n{text[end:]}"


def anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to `-`."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _number(value: float) -> str:
    return str(value).replace("-", "−")


def value_range(kpi: Kpi) -> str:
    """The catalogue bounds in words: `0 … 100`, `≥ 0`, or empty when unbounded."""
    low, high = kpi.min_value, kpi.max_value
    if low is not None and high is not None:
        return f"{_number(low)} … {_number(high)}"
    if low is not None:
        return f"≥ {_number(low)}"
    return f"≤ {_number(high)}" if high is not None else ""


def summary_table(kpis: Sequence[Kpi], document: str) -> str:
    """One row per KPI of the catalogue; its family links to the family's section when
    `document` (docs/kpis.md) has a `## <family_name>` heading."""
    sections = {line[3:].strip() for line in document.splitlines() if line.startswith("## ")}
    lines = [
        "| kpi_code | name | family | unit | range | period_grain | better | segment types |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kpi in kpis:
        family = kpi.family_name
        if family in sections:
            family = f"[{family}](#{anchor(family)})"
        better = "higher" if kpi.direction == "higher_is_better" else "lower"
        lines.append(
            f"| `{kpi.code}` | {kpi.display_name} | {family} | {kpi.unit} | {value_range(kpi)} "
            f"| {', '.join(kpi.period_grains)} | {better} | {', '.join(kpi.segment_types)} |"
        )
    return "\n".join(lines)


def targets_table(kpis: Sequence[Kpi], targets: Sequence[Mapping[str, str]]) -> str:
    """The rows of the targets seed, then the KPIs that have none."""
    lines = [
        "| kpi_code | segment | target | warning | direction |",
        "|---|---|---|---|---|",
    ]
    for row in targets:
        segment = row["segment_type"] and f"`{row['segment_type']}/{row['segment_value']}`"
        lines.append(
            f"| `{row['kpi_code']}` | {segment or 'every'} | "
            f"{row['target_value'].replace('-', '−')} | "
            f"{row['warning_value'].replace('-', '−')} | {row['direction']} |"
        )
    with_target = {row["kpi_code"] for row in targets}
    without = [f"`{kpi.code}`" for kpi in kpis if kpi.code not in with_target]
    if without:
        listed = ", ".join(without[:-1]) + " and " if len(without) > 1 else ""
        lines += ["", f"KPIs without a target (status `no_target`): {listed}{without[-1]}."]
    return "\n".join(lines)


def kpis_md(document: str, kpis: Sequence[Kpi], targets: Sequence[Mapping[str, str]]) -> str:
    """docs/kpis.md (`document`) with its generated sections rewritten."""
    name = KPIS_MD.as_posix()
    document = replace_between(
        document, SUMMARY_START, SUMMARY_END, summary_table(kpis, document), name
    )
    return replace_between(document, TARGETS_START, TARGETS_END, targets_table(kpis, targets), name)
