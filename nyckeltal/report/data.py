"""What the KPI report shows, read from the published marts file.

Everything comes from the published `marts.kpi_scorecard` (and `marts.publication` for the
date of the data); the words of each KPI family come from `families.yaml` beside this file.
Nothing here computes a KPI: values, targets, statuses and previous values are the mart's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import yaml

from nyckeltal import catalogue
from nyckeltal.availability import UnavailableFamily, unavailable_families
from nyckeltal.relations import has_relation
from nyckeltal.report.foresight import Foresight, load_foresight
from nyckeltal.scorecard import STATUSES, read_scorecard
from nyckeltal.settings import PACKAGE_PROJECT_DIR

FAMILIES_FILE = Path(__file__).with_name("families.yaml")
TREND_PERIODS = 12
STATUS_LABELS = {
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "no_target": "No target",
    "suppressed": "Suppressed",
}
UNIT_SUFFIX = {"percent": " %", "months": " months", "ratio": "×", "score": ""}

Row = dict[str, Any]


@dataclass(frozen=True)
class KpiInfo:
    code: str
    name: str
    family_slug: str
    card_segment: str | None = None
    grain: str | None = None
    unit_wording: str = ""


@dataclass(frozen=True)
class Family:
    slug: str
    title: str
    kpis: tuple[KpiInfo, ...]
    formula: str
    off_track: tuple[str, ...]


@dataclass
class Breakdown:
    """One segment type of a KPI at one grain: the rows of its last periods."""

    segment_type: str
    label: str
    grain: str
    periods: list[dt.date]
    rows: list[Row]
    latest: list[Row]
    latest_period: dt.date | None


@dataclass
class KpiView:
    info: KpiInfo
    unit: str
    grain: str
    headline: Row | None
    trend: list[Row]
    card_segment: str | None = None
    card_rows: list[Row] = field(default_factory=list)
    status_counts: dict[str, int] = field(default_factory=dict)
    breakdowns: list[Breakdown] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.headline["status"] if self.headline else "no_target"


@dataclass
class ReportData:
    families: list[Family]
    kpis: dict[str, KpiView]
    segment_labels: dict[str, str]
    published_at: dt.datetime | None
    as_of_date: dt.date | None
    currency: str
    unknown_kpis: list[str]
    # (segment_type, segment_value) -> the name people read (campaign names, region names).
    segment_names: dict[tuple[str, str], str] = field(default_factory=dict)
    foresight: Foresight = field(default_factory=Foresight)
    # KPI families the data loaded cannot compute (marts.kpi_family_availability).
    unavailable: list[UnavailableFamily] = field(default_factory=list)

    def family_kpis(self, family: Family) -> list[KpiView]:
        return [self.kpis[info.code] for info in family.kpis if info.code in self.kpis]


@cache
def _document() -> dict[str, Any]:
    with open(FAMILIES_FILE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def segment_value_names() -> dict[tuple[str, str], str]:
    """The names of segment values that the data holds only as codes (families.yaml
    `segment_values`: regions, product lines), also of the region_product_line pairs."""
    names = {
        (str(segment_type), str(code)): str(name)
        for segment_type, values in (_document().get("segment_values") or {}).items()
        for code, name in values.items()
    }
    regions = {code: name for (kind, code), name in names.items() if kind == "region"}
    lines = {code: name for (kind, code), name in names.items() if kind == "product_line"}
    for region, region_name in regions.items():
        for line, line_name in lines.items():
            names[("region_product_line", f"{region}|{line}")] = f"{region_name}, {line_name}"
    return names


def segment_name(names: dict[tuple[str, str], str], row: Row) -> str:
    """The name of a row's segment: from `names`, else its code made readable."""
    value = row["segment_value"]
    named = names.get((row["segment_type"], value))
    if named:
        return named
    return value.replace("_", " ").capitalize() if row["segment_type"] == "channel" else value


def _campaign_names(published: Path) -> dict[tuple[str, str], str]:
    """campaign_id -> campaign name, from the published campaign_roi mart."""
    with duckdb.connect(str(published), read_only=True) as connection:
        if not has_relation(connection, "marts", "campaign_roi"):
            return {}
        rows = connection.execute(
            "select campaign_id, campaign_name from marts.campaign_roi "
            "where campaign_name is not null"
        ).fetchall()
    return {("campaign", campaign_id): name for campaign_id, name in rows}


@cache
def load_families(
    project: Path = PACKAGE_PROJECT_DIR,
) -> tuple[tuple[Family, ...], dict[str, str]]:
    """The KPI families of families.yaml, their KPIs from `project`'s KPI catalogue (in catalogue
    order), and the labels of the segment types. A family's `card_segments` name the segment
    type a KPI's card shows instead of its total (a total that would mislead on a card)."""
    document = _document()
    families = []
    for entry in document["families"]:
        card_segments = entry.get("card_segments") or {}
        kpis = tuple(
            KpiInfo(
                code=kpi.code,
                name=kpi.display_name,
                family_slug=entry["slug"],
                # A KPI without a total row shows its first segment type on its card.
                card_segment=card_segments.get(kpi.code)
                or (None if "total" in kpi.segment_types else kpi.segment_types[0]),
                grain=kpi.period_grains[0],
                unit_wording=kpi.unit_wording,
            )
            for kpi in catalogue.kpis(project)
            if kpi.family == entry["family"]
        )
        if not kpis:
            raise ValueError(f"{FAMILIES_FILE.name}: family {entry['family']!r} has no KPI")
        families.append(
            Family(
                slug=entry["slug"],
                title=entry["title"],
                kpis=kpis,
                formula=" ".join(entry["formula"].split()),
                off_track=tuple(" ".join(line.split()) for line in entry["off_track"]),
            )
        )
    return tuple(families), dict(document["segment_types"])


def _publication(published: Path) -> tuple[dt.datetime | None, dt.date | None]:
    with duckdb.connect(str(published), read_only=True) as connection:
        if not has_relation(connection, "marts", "publication"):
            return None, None
        row = connection.execute(
            "select max(published_at), max(as_of_date) from marts.publication"
        ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def _latest_complete(rows: list[Row]) -> Row | None:
    """The row of the latest complete period, else of the latest period."""
    if not rows:
        return None
    return max(rows, key=lambda row: (row["is_complete_period"], row["period_start"]))


def _last_periods(rows: list[Row], count: int = TREND_PERIODS) -> list[dt.date]:
    return sorted({row["period_start"] for row in rows})[-count:]


def _main_grain(info: KpiInfo, rows: list[Row]) -> str:
    if info.grain:
        return info.grain
    totals = [row["period_grain"] for row in rows if row["segment_type"] == "total"]
    grains = totals or [row["period_grain"] for row in rows]
    return max(set(grains), key=grains.count)


def _breakdowns(rows: list[Row], labels: dict[str, str]) -> list[Breakdown]:
    result = []
    grains = sorted({row["period_grain"] for row in rows}, key=_grain_order)
    for grain in grains:
        of_grain = [row for row in rows if row["period_grain"] == grain]
        types = sorted({row["segment_type"] for row in of_grain} - {"total"})
        for segment_type in types:
            segment_rows = [row for row in of_grain if row["segment_type"] == segment_type]
            if grain == "campaign_window":
                # One window per campaign: every campaign is shown, ordered by start.
                periods = sorted({row["period_start"] for row in segment_rows})
                kept = sorted(segment_rows, key=lambda row: row["period_start"])
                latest, latest_period = kept, None
            else:
                periods = _last_periods(segment_rows)
                kept = [row for row in segment_rows if row["period_start"] in set(periods)]
                complete = [row for row in kept if row["is_complete_period"]]
                latest_period = max((r["period_start"] for r in complete), default=None)
                if latest_period is None and kept:
                    latest_period = periods[-1]
                latest = sorted(
                    (row for row in kept if row["period_start"] == latest_period),
                    key=lambda row: row["segment_value"],
                )
            result.append(
                Breakdown(
                    segment_type=segment_type,
                    label=labels.get(segment_type, segment_type.replace("_", " ").capitalize()),
                    grain=grain,
                    periods=periods,
                    rows=kept,
                    latest=latest,
                    latest_period=latest_period,
                )
            )
    return result


def _grain_order(grain: str) -> int:
    order = ("month", "ttm", "survey", "quarter", "year", "campaign_window")
    return order.index(grain) if grain in order else len(order)


def build_view(info: KpiInfo, rows: list[Row], labels: dict[str, str]) -> KpiView:
    """The card and the breakdowns of one KPI from its scorecard rows."""
    grain = _main_grain(info, rows)
    of_grain = [row for row in rows if row["period_grain"] == grain]
    totals = sorted(
        (row for row in of_grain if row["segment_type"] == "total"),
        key=lambda row: row["period_start"],
    )
    view = KpiView(
        info=info,
        unit=rows[0]["unit"],
        grain=grain,
        # A card showing a segment type shows no total (info.card_segment).
        headline=None if info.card_segment else _latest_complete(totals),
        trend=totals[-TREND_PERIODS:],
        breakdowns=_breakdowns(rows, labels),
    )
    if view.headline is None:
        segment_type = info.card_segment or next(
            (b.segment_type for b in view.breakdowns if b.grain == grain), None
        )
        view.card_segment = segment_type
        segment_rows = [row for row in of_grain if row["segment_type"] == segment_type]
        if grain == "campaign_window":
            view.card_rows = sorted(segment_rows, key=lambda row: row["period_start"])[
                -TREND_PERIODS:
            ]
        else:
            periods = set(_last_periods(segment_rows))
            view.card_rows = [row for row in segment_rows if row["period_start"] in periods]
        counted = [row for row in view.card_rows if row["is_complete_period"]]
        if grain != "campaign_window":
            latest = max((row["period_start"] for row in counted), default=None)
            counted = [row for row in counted if row["period_start"] == latest]
        for status in STATUSES:
            number = sum(1 for row in counted if row["status"] == status)
            if number:
                view.status_counts[status] = number
    return view


def load_report_data(
    published: Path, currency: str, project: Path = PACKAGE_PROJECT_DIR
) -> ReportData:
    """Read the published scorecard and arrange it by family and KPI (of `project`'s
    catalogue: the run's RunContext.project_dir)."""
    rows = read_scorecard(published)
    families, labels = load_families(project)
    by_code: dict[str, list[Row]] = {}
    for row in rows:
        by_code.setdefault(row["kpi_code"], []).append(row)
    kpis: dict[str, KpiView] = {}
    for family in families:
        for info in family.kpis:
            if by_code.get(info.code):
                kpis[info.code] = build_view(info, by_code[info.code], labels)
    known = {info.code for family in families for info in family.kpis}
    published_at, as_of_date = _publication(published)
    return ReportData(
        families=list(families),
        kpis=kpis,
        segment_labels=labels,
        published_at=published_at,
        as_of_date=as_of_date,
        currency=currency,
        unknown_kpis=sorted(set(by_code) - known),
        segment_names={**segment_value_names(), **_campaign_names(published)},
        foresight=load_foresight(published),
        unavailable=unavailable_families(published),
    )


# ----------------------------------------------------------------------------- formatting


def period_label(row: Row) -> str:
    """A short human label of a row's period, by grain."""
    start: dt.date = row["period_start"]
    end: dt.date = row["period_end"]
    grain = row["period_grain"]
    if grain == "month":
        return start.strftime("%b %Y")
    if grain == "ttm":
        return f"12 months to {start.strftime('%b %Y')}"
    if grain == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    if grain == "year":
        return f"{start.strftime('%b %Y')}–{end.strftime('%b %Y')}"
    if grain == "survey":
        return f"Survey {start.strftime('%d %b %Y')}"
    if grain == "campaign_window":
        return f"{start.isoformat()} to {end.isoformat()}"
    return f"{start.isoformat()} to {end.isoformat()}"


def short_period_label(start: dt.date, grain: str) -> str:
    """An axis label of a period start, by grain."""
    if grain in ("month", "ttm"):
        return start.strftime("%b %y")
    if grain == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.strftime('%y')}"
    if grain == "year":
        return f"from {start.strftime('%b %y')}"
    return start.strftime("%d %b %y")


def _decimals(value: float, unit: str) -> int:
    """The usual decimals of a value: fewer for large money, percentages and scores."""
    magnitude = abs(value)
    if unit == "currency":
        return 0 if magnitude >= 100 else 2
    if unit == "months":
        return 1
    if unit == "ratio":
        return 2
    return 2 if magnitude < 10 else 1  # percent; score: NPS (-100..100) or a 1-5 mean


def format_value(
    value: float | None,
    unit: str,
    currency: str,
    with_unit: bool = True,
    decimals: int | None = None,
) -> str:
    """A KPI value for people: thousands separators, a few decimals (or `decimals`), the unit."""
    if value is None:
        return "–"
    places = _decimals(value, unit) if decimals is None else decimals
    text = f"{value:,.{places}f}"
    if not with_unit:
        return text
    if unit == "currency":
        return f"{text} {currency}"
    return text + UNIT_SUFFIX.get(unit, "")


MAX_DECIMALS = 6


def format_against(
    value: float | None, target: float | None, unit: str, currency: str, with_unit: bool = True
) -> str:
    """`value` formatted so that it never reads the same as a different `target`: when both
    round to the same text, decimals are added until they differ (2.004 % against a target of
    2.00 %), so that the text explains the status."""
    if value is None or target is None or value == target:
        return format_value(value, unit, currency, with_unit)
    places = _decimals(value, unit)
    while places < MAX_DECIMALS and round(value, places) == round(target, places):
        places += 1
    return format_value(value, unit, currency, with_unit, places)


def format_change(row: Row | None, currency: str) -> str:
    """The change against the previous period: points for percent and score, else relative."""
    if not row or row["value"] is None or row["previous_value"] is None:
        return ""
    value, previous = row["value"], row["previous_value"]
    delta = value - previous
    if delta == 0:
        return "= no change"
    arrow = "▲" if delta > 0 else "▼"
    unit = row["unit"]
    if unit == "percent":
        return f"{arrow} {delta:+,.2f} pp" if abs(delta) >= 0.01 else f"{arrow} {delta:+.4f} pp"
    if unit == "score":
        return f"{arrow} {delta:+,.2f}" if abs(previous) < 10 else f"{arrow} {delta:+,.1f}"
    sign = "+" if delta > 0 else ""
    text = f"{arrow} {sign}{format_value(delta, unit, currency)}"
    if previous:
        text += f" ({delta / abs(previous) * 100:+.1f} %)"
    return text


def display_value(row: Row, currency: str, with_unit: bool = True) -> str:
    """A row's value, or "suppressed" for a suppressed group (never 0); never reading the
    same as a different target (`format_against`)."""
    if row["is_suppressed"]:
        return "suppressed"
    return format_against(row["value"], row.get("target_value"), row["unit"], currency, with_unit)


def display_status(row: Row) -> str:
    return "suppressed" if row["is_suppressed"] else row["status"]
