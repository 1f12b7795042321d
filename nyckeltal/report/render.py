"""Writing the KPI report: an overview page, a page per KPI family, one JavaScript bundle.

The pages are plain HTML (Jinja2 templates beside this file) with the chart specifications
inline; `assets/vega.js` is the Vega, Vega-Lite and vega-embed bundle that vl-convert ships,
so the report opens from a file:// URL with no network.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import altair as alt
import jinja2
import vl_convert

from nyckeltal.report import charts
from nyckeltal.report.data import (
    STATUS_LABELS,
    Breakdown,
    KpiView,
    ReportData,
    display_status,
    display_value,
    format_change,
    format_value,
    load_report_data,
    period_label,
    segment_name,
    short_period_label,
)
from nyckeltal.settings import PACKAGE_PROJECT_DIR

ASSETS = "assets"
BUNDLE_NAME = "vega.js"
STYLESHEET = "style.css"


@dataclass(frozen=True)
class ReportResult:
    directory: Path
    pages: tuple[Path, ...]
    kpi_count: int
    chart_count: int

    @property
    def overview(self) -> Path:
        return self.directory / "index.html"

    def summary(self) -> str:
        return (
            f"KPI report: {self.kpi_count} KPIs, {len(self.pages)} pages, "
            f"{self.chart_count} charts in {self.directory} (open {self.overview})"
        )


class ChartRegistry:
    """The chart specifications of one page, each under an id its placeholder names."""

    def __init__(self) -> None:
        self.specs: dict[str, dict[str, Any]] = {}

    def add(self, spec: dict[str, Any]) -> str:
        if not spec:
            return ""
        chart_id = f"chart-{len(self.specs) + 1}"
        self.specs[chart_id] = spec
        return chart_id

    def script_json(self) -> str:
        """The specifications as JSON that is safe inside a <script> element."""
        text = json.dumps(self.specs, separators=(",", ":"), default=str)
        return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("nyckeltal.report", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(
        status_label=lambda status: STATUS_LABELS.get(status, status),
        period_label=period_label,
        display_status=display_status,
    )
    return environment


@cache
def _vega_bundle(cache_dir: Path) -> str:
    """vega-embed, Vega-Lite (the version Altair writes) and Vega, as one classic script.

    vl-convert takes seconds to bundle them, so the bundle is kept in the dbt target folder
    (`cache_dir`, a build cache, never committed), one file per vl-convert and Vega-Lite
    version.
    """
    major_minor = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    version = getattr(vl_convert, "__version__", "unknown")
    cached = cache_dir / "report-assets" / f"vega-{version}-{major_minor}.js"
    if cached.exists():
        return cached.read_text(encoding="utf-8")
    bundle = vl_convert.javascript_bundle(vl_version=major_minor)
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(bundle, encoding="utf-8")
    os.replace(partial, cached)
    return bundle


def _card(
    view: KpiView, data: ReportData, registry: ChartRegistry, with_chart: bool = True
) -> dict[str, Any]:
    currency = data.currency
    headline = view.headline
    if not with_chart:
        chart_id = ""
    elif headline is not None:
        band = data.foresight.band(view.info.code, view.grain)
        chart_id = registry.add(charts.trend_chart(view.trend, currency, band=band))
    elif view.grain == "campaign_window":
        chart_id = registry.add(
            charts.campaign_chart(
                view.card_rows, currency, height=150, label_limit=130, names=data.segment_names
            )
        )
    else:
        chart_id = registry.add(
            charts.segment_lines_chart(view.card_rows, currency, names=data.segment_names)
        )
    return {
        "view": view,
        "status": view.status if headline else "segmented",
        "value": display_value(headline, currency) if headline else "",
        "period": period_label(headline) if headline else "",
        "complete": bool(headline and headline["is_complete_period"]),
        "target": format_value(headline["target_value"], view.unit, currency)
        if headline and headline["target_value"] is not None
        else "",
        "change": format_change(headline, currency),
        "previous": format_value(headline["previous_value"], view.unit, currency)
        if headline and headline["previous_value"] is not None
        else "",
        "segment_label": data.segment_labels.get(view.card_segment or "", view.card_segment),
        "chart_id": chart_id,
        "forecast": _forecast_line(view, data),
        "outlooks": [
            sentence[:1].upper() + sentence[1:]
            for sentence in data.foresight.outlook_sentences(view.info.code, view.grain)
        ],
    }


def _forecast_line(view: KpiView, data: ReportData) -> str:
    """'Forecast Dec 2026: 2.10 % (80 %: 1.80 % to 2.40 %)', the band's first period."""
    band = data.foresight.band(view.info.code, view.grain)
    if not band:
        return ""
    first = band[0]
    value = format_value(first["forecast"], view.unit, data.currency)
    low = format_value(first["lower_80"], view.unit, data.currency)
    high = format_value(first["upper_80"], view.unit, data.currency)
    label = short_period_label(first["period_start"], view.grain)
    naive = "" if first["beats_naive"] else ", no model beat the last value"
    return f"Forecast {label}: {value} (80 %: {low} to {high}; {first['model']}{naive})"


def _breakdown(breakdown: Breakdown, data: ReportData, registry: ChartRegistry) -> dict:
    currency = data.currency
    rows = [
        {
            "segment": segment_name(data.segment_names, row),
            "period": period_label(row),
            "value": display_value(row, currency),
            "target": format_value(row["target_value"], row["unit"], currency)
            if row["target_value"] is not None
            else "",
            "status": display_status(row),
            "previous": format_value(row["previous_value"], row["unit"], currency)
            if row["previous_value"] is not None
            else "",
            "change": "" if row["is_suppressed"] else format_change(row, currency),
            "complete": row["is_complete_period"],
        }
        for row in breakdown.latest
    ]
    return {
        "breakdown": breakdown,
        "chart_id": registry.add(
            charts.breakdown_chart(breakdown, currency, names=data.segment_names)
        ),
        "rows": rows,
        "latest_label": period_label(breakdown.latest[0]) if breakdown.latest_period else "",
        "is_campaign": breakdown.grain == "campaign_window",
    }


def write_report(data: ReportData, out: Path, cache_dir: Path) -> ReportResult:
    """Write the overview, the family pages and the assets into `out` (replacing them)."""
    # Altair validates every object it creates against the Vega-Lite JSON schema (about
    # half the report's time); the specs are checked where it matters instead: the browser
    # test renders every chart and fails on any Vega warning or error.
    with alt.utils.schemapi.debug_mode(False):
        return _write_report(data, out, cache_dir)


def _write_report(data: ReportData, out: Path, cache_dir: Path) -> ReportResult:
    out.mkdir(parents=True, exist_ok=True)
    assets = out / ASSETS
    assets.mkdir(exist_ok=True)
    (assets / BUNDLE_NAME).write_text(_vega_bundle(cache_dir), encoding="utf-8")
    stylesheet = resources.files("nyckeltal.report") / "templates" / STYLESHEET
    with resources.as_file(stylesheet) as source:
        shutil.copyfile(source, assets / STYLESHEET)

    environment = _environment()
    generated = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    common = {
        "data": data,
        "generated_at": generated,
        "families": data.families,
        "asset": lambda name: f"{ASSETS}/{name}",
    }
    pages: list[Path] = []
    chart_count = 0

    registry = ChartRegistry()
    sections = [
        {"family": family, "cards": [_card(v, data, registry) for v in data.family_kpis(family)]}
        for family in data.families
    ]
    html = environment.get_template("overview.html").render(
        **common, sections=sections, charts_json=registry.script_json(), current=None
    )
    pages.append(_write(out / "index.html", html))
    chart_count += len(registry.specs)

    for family in data.families:
        views = data.family_kpis(family)
        if not views:
            continue
        registry = ChartRegistry()
        kpis = []
        for view in views:
            # A KPI with a total gets a large trend chart beside its card instead of a small one.
            card = _card(view, data, registry, with_chart=view.headline is None)
            if view.headline is not None:
                card["big_chart_id"] = registry.add(
                    charts.trend_chart(
                        view.trend,
                        data.currency,
                        width=560,
                        height=170,
                        band=data.foresight.band(view.info.code, view.grain),
                    )
                )
            breakdowns = [_breakdown(b, data, registry) for b in view.breakdowns]
            changes = data.foresight.changes.get(view.info.code, [])
            kpis.append({"card": card, "breakdowns": breakdowns, "changes": changes})
        html = environment.get_template("family.html").render(
            **common,
            family=family,
            kpis=kpis,
            charts_json=registry.script_json(),
            current=family.slug,
        )
        pages.append(_write(out / f"{family.slug}.html", html))
        chart_count += len(registry.specs)
    return ReportResult(out, tuple(pages), len(data.kpis), chart_count)


def _write(path: Path, html: str) -> Path:
    path.write_text(html, encoding="utf-8")
    return path


def build_report(
    published: Path,
    out: Path,
    currency: str,
    cache_dir: Path,
    project: Path = PACKAGE_PROJECT_DIR,
) -> ReportResult:
    """Read the published marts file and write the KPI report into `out` (amounts in the
    reporting `currency`; `cache_dir`: the dbt target folder, where the chart bundle is kept;
    the KPIs of `project`'s catalogue, the run's RunContext.project_dir)."""
    return write_report(load_report_data(published, currency, project), out, cache_dir)
