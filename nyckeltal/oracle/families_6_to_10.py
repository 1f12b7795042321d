"""Independent reference implementation of the KPI families 6-10 of docs/kpis.md.

Churn (churn_rate, revenue_churn_rate, net_revenue_retention), NPS, cost per lead (cpl,
cost_per_mql), employee engagement (engagement_score, engagement_favorable_pct) and market
share, computed in plain pandas from the raw_* tables of a warehouse, straight from the text of
the KPI specification (docs/kpis.md, plus DECISIONS.md where it is silent). It shares no code
with the dbt models, so that a difference between the two points at a bug on one side.

Usage: ``oracle_rows(duckdb.connect(path, read_only=True), {"as_of_date": "2026-03-10"})``
returns the scorecard columns (without target, status and previous_value).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import duckdb
import numpy as np
import pandas as pd

from .scorecard import read_scorecard, row, sorted_frame

KPI_CODES = (
    "churn_rate",
    "revenue_churn_rate",
    "net_revenue_retention",
    "nps",
    "cpl",
    "cost_per_mql",
    "engagement_score",
    "engagement_favorable_pct",
    "market_share",
)

DEFAULT_VARS = {
    "reporting_currency": "EUR",
    "gross_margin": 0.80,
    "ltv_max_lifetime_months": 60,
    "engagement_min_respondents": 5,
    "as_of_date": None,
}

UNKNOWN = "unknown"


# --------------------------------------------------------------------------------------------
# loading helpers (private to this module)
# --------------------------------------------------------------------------------------------


class _Raw:
    """The raw tables as pandas DataFrames, money columns as float."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._cache: dict[str, pd.DataFrame] = {}

    def __call__(self, table: str) -> pd.DataFrame:
        if table not in self._cache:
            frame = self._con.sql(f"select * from {table}").df()
            for column in frame.columns:
                if frame[column].dtype == object and column in {
                    "amount",
                    "mrr",
                    "spend",
                    "market_revenue",
                    "rate_to_reporting",
                    "fte",
                }:
                    frame[column] = frame[column].astype(float)
            self._cache[table] = frame
        return self._cache[table]


def _to_date(series: pd.Series) -> pd.Series:
    """A timestamp or date column as python dates (UTC calendar date)."""
    return pd.to_datetime(series).dt.normalize()


def _month_start(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series).dt.to_period("M").dt.to_timestamp()


def _month_end(month_start: pd.Timestamp) -> pd.Timestamp:
    return month_start + pd.offsets.MonthEnd(0)


def _convert(
    raw: _Raw, frame: pd.DataFrame, amount: str, date_column: str, reporting: str
) -> pd.Series:
    """Convert `amount` at the latest fx rate dated on or before the row's UTC date."""
    if frame.empty:
        return pd.Series([], dtype=float, index=frame.index)
    rates = raw("raw_billing.fx_rates")[["rate_date", "currency", "rate_to_reporting"]].copy()
    rates["rate_date"] = pd.to_datetime(rates["rate_date"])
    rates = rates.sort_values("rate_date")
    rows = pd.DataFrame(
        {
            "_row": np.arange(len(frame)),
            "day": _to_date(frame[date_column]).to_numpy(),
            "currency": frame["currency"].to_numpy(),
        }
    ).sort_values("day")
    merged = pd.merge_asof(
        rows,
        rates,
        left_on="day",
        right_on="rate_date",
        by="currency",
        direction="backward",
    ).sort_values("_row")
    rate = merged["rate_to_reporting"].to_numpy(dtype=float)
    rate = np.where(merged["currency"].to_numpy() == reporting, 1.0, rate)
    if np.isnan(rate).any():
        bad = merged.loc[np.isnan(rate), ["currency", "day"]].head(3)
        raise ValueError(f"no usable fx rate for {bad.to_dict('records')}")
    return pd.Series(frame[amount].to_numpy(dtype=float) * rate, index=frame.index)


def _reporting_window(raw: _Raw, as_of_var: object) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(as_of date, first published month start) per the 'Precise rules'."""
    dates: list[pd.Series] = []

    def add(table: str, column: str) -> None:
        values = raw(table)[column].dropna()
        if len(values):
            dates.append(_to_date(values))

    add("raw_billing.invoices", "issued_at")
    add("raw_billing.subscriptions", "started_at")
    add("raw_billing.subscriptions", "ended_at")
    add("raw_marketing.web_events", "occurred_at")
    add("raw_marketing.ad_spend", "spend_date")
    add("raw_marketing.expenses", "booked_on")
    add("raw_crm.leads", "created_at")
    add("raw_crm.leads", "qualified_at")
    add("raw_crm.nps_responses", "responded_at")
    add("raw_crm.customers", "created_at")
    add("raw_hr.engagement_responses", "survey_date")
    payroll = raw("raw_hr.payroll")["pay_month"].dropna()
    if len(payroll):
        dates.append(_month_start(payroll) + pd.offsets.MonthEnd(0))
    everything = pd.concat(dates, ignore_index=True)
    as_of = pd.Timestamp(str(as_of_var)).normalize() if as_of_var else everything.max()
    first_month = everything.min().to_period("M").to_timestamp()
    return as_of, first_month


def _months(first_month: pd.Timestamp, as_of: pd.Timestamp) -> list[pd.Timestamp]:
    last = as_of.to_period("M").to_timestamp()
    return list(pd.date_range(first_month, last, freq="MS"))


def _segments(
    frame: pd.DataFrame, columns: tuple[tuple[str, str], ...]
) -> Iterator[tuple[str, object, pd.DataFrame]]:
    """(segment type, segment value, rows) of every segment of `frame`, `columns` naming the
    column of each segment type; the total row ("total", column "all") exists on no rows too."""
    for seg_type, column in columns:
        groups = {key: group for key, group in frame.groupby(column)}
        if seg_type == "total" and not groups:
            groups = {"all": frame}
        for key, group in sorted(groups.items()):
            yield seg_type, key, group


def _percent_row(
    kpi: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    grain: str,
    seg_type: str,
    seg_value: object,
    numerator: float,
    denominator: float,
    unit: str,
    as_of: pd.Timestamp,
) -> dict:
    """A row whose value is numerator / denominator in percent (score points for NPS)."""
    value = _ratio(numerator, denominator, 100.0)
    return row(
        kpi, start, end, grain, seg_type, str(seg_value), numerator, denominator, value, unit, as_of
    )


def _ratio(numerator: float | None, denominator: float | None, scale: float = 1.0):
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator * scale


# --------------------------------------------------------------------------------------------
# 6. churn
# --------------------------------------------------------------------------------------------


def _churn(raw: _Raw, months, as_of, reporting) -> list[dict]:
    subs = raw("raw_billing.subscriptions").copy()
    subs["mrr_conv"] = _convert(raw, subs, "mrr", "started_at", reporting)
    subs["started_at"] = pd.to_datetime(subs["started_at"])
    subs["ended_at"] = pd.to_datetime(subs["ended_at"])
    plans = raw("raw_billing.plans").set_index("plan_id")["product_line"].to_dict()
    customers = raw("raw_crm.customers").set_index("customer_id")["segment"].to_dict()

    def active(t: pd.Timestamp) -> pd.DataFrame:
        mask = (subs["started_at"] <= t) & (subs["ended_at"].isna() | (t < subs["ended_at"]))
        return subs[mask]

    rows: list[dict] = []
    for month in months:
        end = _month_end(month)
        nxt = month + pd.offsets.MonthBegin(1)
        at_start = active(month)
        at_next = active(nxt)
        mrr0 = at_start.groupby("customer_id")["mrr_conv"].sum()
        mrr1_all = at_next.groupby("customer_id")["mrr_conv"].sum()
        base = pd.DataFrame({"mrr0": mrr0})
        base["active1"] = base.index.isin(mrr1_all.index)
        base["mrr1"] = mrr1_all.reindex(base.index).fillna(0.0)
        # plan: highest converted MRR subscription active at the start, ties smallest plan_id
        ranked = at_start.assign(_neg=-at_start["mrr_conv"]).sort_values(
            ["customer_id", "_neg", "plan_id", "subscription_id"]
        )
        plan = ranked.groupby("customer_id")["plan_id"].first()
        base["plan"] = plan.reindex(base.index).fillna(UNKNOWN)
        base["product_line"] = [
            plans.get(p) if plans.get(p) is not None else UNKNOWN for p in base["plan"]
        ]
        base["customer_segment"] = [
            customers.get(c) if customers.get(c) is not None else UNKNOWN for c in base.index
        ]
        base["all"] = "all"

        for seg_type, key, group in _segments(
            base,
            (
                ("total", "all"),
                ("plan", "plan"),
                ("product_line", "product_line"),
                ("customer_segment", "customer_segment"),
            ),
        ):
            n_start = float(len(group))
            churned = float((~group["active1"]).sum())
            m0 = float(group["mrr0"].sum())
            kept = float(np.minimum(group["mrr0"], group["mrr1"]).sum())
            m1 = float(group["mrr1"].sum())
            for kpi, num, den in (
                ("churn_rate", churned, n_start),
                ("revenue_churn_rate", m0 - kept, m0),
                ("net_revenue_retention", m1, m0),
            ):
                rows.append(
                    _percent_row(
                        kpi, month, end, "month", seg_type, key, num, den, "percent", as_of
                    )
                )
    return rows


# --------------------------------------------------------------------------------------------
# 7. nps
# --------------------------------------------------------------------------------------------


def _nps(raw: _Raw, months, as_of) -> list[dict]:
    responses = raw("raw_crm.nps_responses").copy()
    segments = raw("raw_crm.customers").set_index("customer_id")["segment"].to_dict()
    responses["month"] = _month_start(responses["responded_at"])
    responses["customer_segment"] = [
        segments.get(c) if segments.get(c) is not None else UNKNOWN
        for c in responses["customer_id"]
    ]
    responses["net"] = np.where(
        responses["score"] >= 9, 1, np.where(responses["score"] <= 6, -1, 0)
    )
    responses["all"] = "all"
    rows: list[dict] = []
    for month in months:
        in_month = responses[responses["month"] == month]
        for seg_type, key, group in _segments(
            in_month,
            (
                ("total", "all"),
                ("touchpoint", "touchpoint"),
                ("customer_segment", "customer_segment"),
            ),
        ):
            num = float(group["net"].sum())
            den = float(len(group))
            rows.append(
                _percent_row(
                    "nps",
                    month,
                    _month_end(month),
                    "month",
                    seg_type,
                    key,
                    num,
                    den,
                    "score",
                    as_of,
                )
            )
    return rows


# --------------------------------------------------------------------------------------------
# 8. cost per lead
# --------------------------------------------------------------------------------------------


def _cost_per_lead(raw: _Raw, months, as_of, reporting) -> list[dict]:
    campaigns = raw("raw_marketing.campaigns")
    channel_of = campaigns.set_index("campaign_id")["channel"].to_dict()
    paid_channels = set(campaigns["channel"].dropna())
    spend = raw("raw_marketing.ad_spend").copy()
    spend["spend_conv"] = _convert(raw, spend, "spend", "spend_date", reporting)
    spend["month"] = _month_start(spend["spend_date"])
    spend["channel"] = spend["campaign_id"].map(channel_of)
    leads = raw("raw_crm.leads").copy()

    rows: list[dict] = []
    for kpi, date_column in (("cpl", "created_at"), ("cost_per_mql", "qualified_at")):
        dated = leads[leads[date_column].notna()].copy()
        dated["month"] = _month_start(dated[date_column])
        for month in months:
            s = spend[spend["month"] == month]
            lm = dated[dated["month"] == month]
            segments: list[tuple[str, str, float, float]] = []
            # total: all ad spend / leads with a campaign_id
            segments.append(
                (
                    "total",
                    "all",
                    float(s["spend_conv"].sum()),
                    float(lm["campaign_id"].notna().sum()),
                )
            )
            # channels with at least one campaign
            spend_by = s.groupby("channel")["spend_conv"].sum()
            leads_by = lm.groupby("channel").size()
            for channel in sorted(set(spend_by.index) | set(leads_by.index)):
                if channel not in paid_channels:
                    continue
                segments.append(
                    (
                        "channel",
                        channel,
                        float(spend_by.get(channel, 0.0)),
                        float(leads_by.get(channel, 0)),
                    )
                )
            spend_by = s.groupby("campaign_id")["spend_conv"].sum()
            leads_by = lm[lm["campaign_id"].notna()].groupby("campaign_id").size()
            for campaign in sorted(set(spend_by.index) | set(leads_by.index)):
                segments.append(
                    (
                        "campaign",
                        campaign,
                        float(spend_by.get(campaign, 0.0)),
                        float(leads_by.get(campaign, 0)),
                    )
                )
            for seg_type, seg_value, num, den in segments:
                rows.append(
                    row(
                        kpi,
                        month,
                        _month_end(month),
                        "month",
                        seg_type,
                        seg_value,
                        num,
                        den,
                        _ratio(num, den),
                        "currency",
                        as_of,
                    )
                )
    return rows


# --------------------------------------------------------------------------------------------
# 9. engagement
# --------------------------------------------------------------------------------------------


def _engagement(raw: _Raw, as_of, min_respondents: int) -> list[dict]:
    responses = raw("raw_hr.engagement_responses").copy()
    responses["survey_date"] = pd.to_datetime(responses["survey_date"])
    responses["favorable"] = (responses["score"] >= 4).astype(int)
    responses["all"] = "all"
    rows: list[dict] = []
    for wave, in_wave in responses.groupby("survey_date"):
        for seg_type, column in (
            ("total", "all"),
            ("department", "department"),
            ("dimension", "dimension"),
        ):
            stats = (
                in_wave.groupby(column)
                .agg(
                    respondents=("respondent_id", "nunique"),
                    responses=("response_id", "size"),
                    score_sum=("score", "sum"),
                    favorable=("favorable", "sum"),
                )
                .reset_index()
                .rename(columns={column: "segment_value"})
            )
            stats["suppressed"] = stats["respondents"] < min_respondents
            if seg_type != "total" and int(stats["suppressed"].sum()) == 1:
                others = stats[~stats["suppressed"]].sort_values(
                    ["respondents", "responses", "segment_value"]
                )
                if len(others):
                    stats.loc[others.index[0], "suppressed"] = True
            for record in stats.itertuples():
                for kpi, num, unit, scale in (
                    ("engagement_score", record.score_sum, "score", 1.0),
                    ("engagement_favorable_pct", record.favorable, "percent", 100.0),
                ):
                    if record.suppressed:  # anonymity: no number at all
                        num = den = value = None
                    else:
                        num, den = float(num), float(record.responses)
                        value = _ratio(num, den, scale)
                    rows.append(
                        row(
                            kpi,
                            wave,
                            wave,
                            "survey",
                            seg_type,
                            str(record.segment_value),
                            num,
                            den,
                            value,
                            unit,
                            as_of,
                            suppressed=bool(record.suppressed),
                        )
                    )
    return rows


# --------------------------------------------------------------------------------------------
# 10. market share
# --------------------------------------------------------------------------------------------


def _grain(start: pd.Timestamp, end: pd.Timestamp) -> str:
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    return {1: "month", 3: "quarter", 12: "year"}.get(months, f"{months}_months")


def _market_share(raw: _Raw, as_of, reporting) -> list[dict]:
    market = raw("raw_marketing.market_sizes").copy()
    market["market_conv"] = _convert(raw, market, "market_revenue", "period_end", reporting)
    market["period_start"] = pd.to_datetime(market["period_start"])
    market["period_end"] = pd.to_datetime(market["period_end"])
    invoices = raw("raw_billing.invoices").copy()
    # every money row needs a usable rate, void invoices included
    invoices["amount_conv"] = _convert(raw, invoices, "amount", "issued_at", reporting)
    invoices = invoices[invoices["status"] != "void"]
    regions = raw("raw_crm.customers").set_index("customer_id")["region"]
    invoices = invoices.assign(
        region=invoices["customer_id"].map(regions),
        issued_at=pd.to_datetime(invoices["issued_at"]),
    )
    company = []
    for record in market.itertuples():
        window = invoices[
            (invoices["issued_at"] >= record.period_start)
            & (invoices["issued_at"] < record.period_end + pd.Timedelta(days=1))
            & (invoices["region"] == record.region)
            & (invoices["product_line"] == record.product_line)
        ]
        company.append(float(window["amount_conv"].sum()))
    market["company"] = company

    rows: list[dict] = []
    for (start, end), period in market.groupby(["period_start", "period_end"]):
        grain = _grain(start, end)
        for record in period.itertuples():
            rows.append(
                _percent_row(
                    "market_share",
                    start,
                    end,
                    grain,
                    "region_product_line",
                    f"{record.region}|{record.product_line}",
                    record.company,
                    record.market_conv,
                    "percent",
                    as_of,
                )
            )
        for seg_type in ("region", "product_line"):
            for key, group in period.groupby(seg_type):
                num = float(group["company"].sum())
                den = float(group["market_conv"].sum())
                rows.append(
                    _percent_row(
                        "market_share", start, end, grain, seg_type, key, num, den, "percent", as_of
                    )
                )
    return rows


# --------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------


def oracle_rows(
    con: duckdb.DuckDBPyConnection, dbt_vars: Mapping[str, object] | None = None
) -> pd.DataFrame:
    """The scorecard rows of the families 6-10 computed from the raw tables of `con`."""
    settings = {**DEFAULT_VARS, **(dbt_vars or {})}
    reporting = str(settings["reporting_currency"])
    raw = _Raw(con)
    as_of, first_month = _reporting_window(raw, settings["as_of_date"])
    months = _months(first_month, as_of)
    rows = (
        _churn(raw, months, as_of, reporting)
        + _nps(raw, months, as_of)
        + _cost_per_lead(raw, months, as_of, reporting)
        + _engagement(raw, as_of, int(settings["engagement_min_respondents"]))
        + _market_share(raw, as_of, reporting)
    )
    return sorted_frame(rows)


def scorecard_rows(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The same columns of marts.kpi_scorecard for the KPI codes of this module."""
    return read_scorecard(con, KPI_CODES)
