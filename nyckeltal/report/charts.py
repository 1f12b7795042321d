"""The charts of the KPI report: Altair (Vega-Lite) specifications, rendered in the page.

Each function returns a Vega-Lite spec (a dict) with its data inline, so that a page needs
only the bundled Vega JavaScript (written once beside the pages) and no network. Incomplete
periods are drawn hollow and labelled "in progress"; suppressed groups are written as
"suppressed", never plotted as 0.
"""

from __future__ import annotations

from typing import Any

import altair as alt

from nyckeltal.report.data import (
    STATUS_LABELS,
    Breakdown,
    Row,
    display_status,
    display_value,
    period_label,
    segment_name,
    short_period_label,
)

Names = dict[tuple[str, str], str]

LINE = "#2f5d8c"
# The rows a chart draws: a named dataset whose values spec_of adds to the finished spec.
ROWS = alt.NamedData(name="rows")
STATUS_COLOURS = {
    "on_track": "#1a9850",
    "at_risk": "#e6a100",
    "off_track": "#d73027",
    "no_target": "#8a94a6",
    "suppressed": "#d5d9e0",
}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"
CONFIG: dict[str, Any] = {
    "font": FONT,
    "view": {"stroke": None},
    "axis": {"labelColor": "#4a5568", "titleColor": "#4a5568", "gridColor": "#eef0f3"},
}


def _status_scale(present: set[str]) -> alt.Scale:
    domain = [status for status in STATUS_COLOURS if status in present]
    return alt.Scale(domain=domain, range=[STATUS_COLOURS[s] for s in domain])


def _status_legend(present: set[str]) -> alt.Legend:
    labels = {status: STATUS_LABELS[status] for status in present}
    expression = " : ".join(f"datum.value === '{key}' ? '{text}'" for key, text in labels.items())
    return alt.Legend(title=None, orient="bottom", labelExpr=f"{expression} : datum.value")


def _point_record(
    row: Row, currency: str, grain: str, names: Names | None = None
) -> dict[str, Any]:
    suppressed = bool(row["is_suppressed"])
    return {
        "period": short_period_label(row["period_start"], grain),
        "period_name": period_label(row),
        "value": None if suppressed else row["value"],
        "shown": display_value(row, currency),
        "complete": bool(row["is_complete_period"]),
        "state": "complete" if row["is_complete_period"] else "in progress",
        "status": display_status(row),
        "status_name": STATUS_LABELS.get(display_status(row), display_status(row)),
        "target": row["target_value"],
        "suppressed": suppressed,
        "segment": segment_name(names or {}, row),
    }


def _value_axis(unit: str) -> alt.Axis:
    """A value axis whose labels of percentages carry the sign (12 %), as the values do."""
    if unit != "percent":
        return alt.Axis(tickCount=4)
    return alt.Axis(tickCount=4, labelExpr="datum.label + ' %'")


TOOLTIP = [
    alt.Tooltip("period_name:N", title="Period"),
    alt.Tooltip("shown:N", title="Value"),
    alt.Tooltip("status_name:N", title="Status"),
    alt.Tooltip("state:N", title="Period is"),
]


def trend_chart(
    rows: list[Row],
    currency: str,
    width: int | str = "container",
    height: int = 110,
    axis_labels: bool = True,
    band: list[Row] | None = None,
) -> dict[str, Any]:
    """The value of one series over its periods: a line, filled points for complete periods,
    hollow points labelled "in progress" for the others, the target as a dashed rule; with
    `band` (marts.kpi_forecasts rows), the forecast as a dashed line in its 80 % and 95 %
    intervals."""
    if not rows:
        return {}
    grain = rows[0]["period_grain"]
    records = [_point_record(row, currency, grain) for row in rows]
    order = [record["period"] for record in records]
    band_records = [_band_record(row, grain) for row in band or []]
    order += [r["period"] for r in band_records if r["period"] not in order]
    data = ROWS
    x = alt.X(
        "period:O",
        sort=order,
        title=None,
        axis=alt.Axis(labelAngle=-45, labelFontSize=9, labels=axis_labels, ticks=False),
    )
    y = alt.Y("value:Q", title=None, scale=alt.Scale(zero=False), axis=_value_axis(rows[0]["unit"]))
    base = alt.Chart(data).encode(x=x)
    valid = "isValid(datum.value)"
    line = base.mark_line(color=LINE, strokeWidth=2).encode(y=y).transform_filter(valid)
    points = (
        base.mark_point(size=55, strokeWidth=2, color=LINE, opacity=1)
        .encode(
            y=y,
            fill=alt.condition("datum.complete", alt.value(LINE), alt.value("white")),
            tooltip=TOOLTIP,
        )
        .transform_filter(valid)
    )
    in_progress = (
        base.mark_text(dy=-11, dx=6, align="right", fontSize=9, color="#6b7280", text="in progress")
        .encode(y=y)
        .transform_filter(f"{valid} && !datum.complete")
    )
    suppressed = (
        base.mark_text(fontSize=9, color="#6b7280", text="suppressed", angle=270)
        .encode(y=alt.value(height / 2), tooltip=TOOLTIP)
        .transform_filter("datum.suppressed")
    )
    layers = [line, points]
    if any(record["value"] is not None and not record["complete"] for record in records):
        layers.append(in_progress)
    if any(record["suppressed"] for record in records):
        layers.append(suppressed)
    targets = {record["target"] for record in records if record["target"] is not None}
    if len(targets) == 1:
        target = targets.pop()
        rule = (
            alt.Chart(alt.Data(values=[{"target": target}]))
            .mark_rule(color="#9aa3b2", strokeDash=[4, 3])
            .encode(y=alt.Y("target:Q"), tooltip=[alt.Tooltip("target:Q", title="Target")])
        )
        layers.insert(0, rule)
    if band_records:
        layers[:0] = _band_layers(band_records, x)
    chart = alt.layer(*layers).properties(width=width, height=height)
    return spec_of(chart, records)


def _band_record(row: Row, grain: str) -> dict[str, Any]:
    return {
        "period": short_period_label(row["period_start"], grain),
        **{
            name: row[name] for name in ("forecast", "lower_80", "upper_80", "lower_95", "upper_95")
        },
        "model": row["model"],
    }


def _band_layers(records: list[dict[str, Any]], x: alt.X) -> list[alt.Chart]:
    """The forecast band: 95 % and 80 % intervals as areas, the forecast dashed."""
    data = alt.Data(values=records)
    tooltip = [
        alt.Tooltip("period:N", title="Forecast for"),
        alt.Tooltip("forecast:Q", title="Forecast", format=",.2f"),
        alt.Tooltip("lower_80:Q", title="80 % from", format=",.2f"),
        alt.Tooltip("upper_80:Q", title="80 % to", format=",.2f"),
        alt.Tooltip("model:N", title="Model"),
    ]
    base = alt.Chart(data).encode(x=x)
    outer = base.mark_area(color=LINE, opacity=0.12).encode(
        y=alt.Y("lower_95:Q"), y2="upper_95:Q", tooltip=tooltip
    )
    inner = base.mark_area(color=LINE, opacity=0.22).encode(
        y=alt.Y("lower_80:Q"), y2="upper_80:Q", tooltip=tooltip
    )
    line = base.mark_line(color=LINE, strokeDash=[4, 3], strokeWidth=1.5).encode(
        y=alt.Y("forecast:Q"), tooltip=tooltip
    )
    return [outer, inner, line]


def segment_lines_chart(
    rows: list[Row],
    currency: str,
    width: int | str = "container",
    height: int = 110,
    names: Names | None = None,
) -> dict[str, Any]:
    """Several segments over their periods, one coloured line each (hollow = in progress),
    the legend naming each segment (`names`)."""
    if not rows:
        return {}
    grain = rows[0]["period_grain"]
    records = sorted(
        (_point_record(row, currency, grain, names) for row in rows),
        key=lambda record: record["segment"],
    )
    order = [
        short_period_label(start, grain) for start in sorted({r["period_start"] for r in rows})
    ]
    base = alt.Chart(ROWS).encode(
        x=alt.X(
            "period:O",
            sort=order,
            title=None,
            axis=alt.Axis(labelAngle=-45, labelFontSize=9, ticks=False),
        ),
        y=alt.Y("value:Q", title=None, axis=_value_axis(rows[0]["unit"])),
        color=alt.Color(
            "segment:N",
            legend=alt.Legend(title=None, orient="bottom", columns=4, labelFontSize=9),
        ),
    )
    tooltip = [alt.Tooltip("segment:N", title="Segment"), *TOOLTIP]
    valid = "isValid(datum.value)"
    line = base.mark_line(strokeWidth=1.5).transform_filter(valid)
    complete = (
        base.mark_point(size=30, strokeWidth=1.5, opacity=1, filled=True)
        .encode(tooltip=tooltip)
        .transform_filter(f"{valid} && datum.complete")
    )
    in_progress = (
        base.mark_point(size=30, strokeWidth=1.5, opacity=1, fill="white")
        .encode(tooltip=tooltip)
        .transform_filter(f"{valid} && !datum.complete")
    )
    layers = [line, complete]
    if any(record["value"] is not None and not record["complete"] for record in records):
        layers.append(in_progress)
    chart = alt.layer(*layers).properties(width=width, height=height)
    return spec_of(chart, records)


def campaign_chart(
    rows: list[Row],
    currency: str,
    width: int | str = "container",
    height: int | None = None,
    label_limit: int = 260,
    names: Names | None = None,
) -> dict[str, Any]:
    """One bar per campaign window, labelled with the campaign's name (`names`) and start,
    on a value axis in the KPI's unit; coloured by status, windows in progress hollow."""
    if not rows:
        return {}
    records = []
    for row in rows:
        record = _point_record(row, currency, row["period_grain"], names)
        record["campaign"] = f"{record['segment']} ({row['period_start']:%b %Y})"
        records.append(record)
    order = [record["campaign"] for record in records]
    present = {record["status"] for record in records}
    bar_height = 14
    chart_height = height or max(60, bar_height * len(records))
    base = alt.Chart(ROWS)
    bars = (
        base.mark_bar(strokeWidth=1.5, height={"band": 0.8})
        .encode(
            y=alt.Y(
                "campaign:N",
                sort=order,
                title=None,
                axis=alt.Axis(ticks=False, labelFontSize=9, labelLimit=label_limit),
            ),
            x=alt.X("value:Q", title=None, axis=_value_axis(rows[0]["unit"])),
            color=alt.Color(
                "status:N", scale=_status_scale(present), legend=_status_legend(present)
            ),
            fillOpacity=alt.condition("datum.complete", alt.value(1.0), alt.value(0.15)),
            stroke=alt.Stroke(
                "status:N", scale=_status_scale(present), legend=_status_legend(present)
            ),
            tooltip=[alt.Tooltip("campaign:N", title="Campaign"), *TOOLTIP],
        )
        .transform_filter("isValid(datum.value)")
    )
    zero = alt.Chart(alt.Data(values=[{"zero": 0}])).mark_rule(color="#4a5568").encode(x="zero:Q")
    chart = alt.layer(bars, zero).properties(width=width, height=chart_height)
    return spec_of(chart, records)


def breakdown_chart(
    breakdown: Breakdown, currency: str, names: Names | None = None
) -> dict[str, Any]:
    """Segments (rows, named by `names`) by period (columns): each cell coloured by status and
    labelled with its value, "suppressed" for a suppressed group; periods in progress are
    faded and marked with an asterisk."""
    if breakdown.grain == "campaign_window":
        return campaign_chart(breakdown.rows, currency, width=420, names=names)
    grain = breakdown.grain
    incomplete = {row["period_start"] for row in breakdown.rows if not row["is_complete_period"]}
    labels = {
        start: short_period_label(start, grain) + (" *" if start in incomplete else "")
        for start in breakdown.periods
    }
    records = []
    for row in breakdown.rows:
        record = _point_record(row, currency, grain, names)
        record["period"] = labels[row["period_start"]]
        record["cell"] = display_value(row, currency, with_unit=False)
        records.append(record)
    segments = sorted({record["segment"] for record in records})
    present = {record["status"] for record in records}
    cell_width = 62
    base = alt.Chart(ROWS).encode(
        x=alt.X(
            "period:O",
            sort=[labels[start] for start in breakdown.periods],
            title=None,
            axis=alt.Axis(orient="top", labelAngle=0, ticks=False, domain=False, labelFontSize=10),
        ),
        y=alt.Y(
            "segment:N",
            sort=segments,
            title=None,
            axis=alt.Axis(ticks=False, domain=False, labelLimit=220),
        ),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2, cornerRadius=3).encode(
        color=alt.Color("status:N", scale=_status_scale(present), legend=_status_legend(present)),
        opacity=alt.condition("datum.complete", alt.value(1.0), alt.value(0.5)),
        tooltip=[alt.Tooltip("segment:N", title="Segment"), *TOOLTIP],
    )
    text = base.mark_text(fontSize=10).encode(
        text="cell:N",
        color=alt.condition(
            "datum.status === 'suppressed' || datum.status === 'no_target'",
            alt.value("#1f2933"),
            alt.value("white"),
        ),
        tooltip=[alt.Tooltip("segment:N", title="Segment"), *TOOLTIP],
    )
    chart = alt.layer(cells, text).properties(
        width=cell_width * len(breakdown.periods), height=24 * len(segments)
    )
    return spec_of(chart, records)


def spec_of(chart: alt.TopLevelMixin, records: list[dict[str, Any]]) -> dict[str, Any]:
    """The Vega-Lite spec of a chart drawn from ROWS, with `records` as those rows.

    The rows join the spec only here, as its named dataset: Altair copies a chart, data
    included, at every chained call (encode, mark, transform), which made those copies most
    of the report's time. Altair's JSON-schema validation is off as well (write_report); the
    specs are validated by the browser test instead (tests/test_report.py renders every
    chart and fails on any Vega warning or error)."""
    spec = chart.configure(**CONFIG).to_dict(validate=False)
    spec["datasets"] = {**spec.get("datasets", {}), ROWS.name: records}
    return spec
