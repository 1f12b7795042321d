"""Reference implementation of KPI families 1-5 of docs/kpis.md, in plain Python + pandas.

Written from the text of the KPI specification (docs/kpis.md, and DECISIONS.md where the
specification is silent), independently of the dbt models, to cross-check
`marts.kpi_scorecard`:

1. revenue_per_employee
2. cac, cac_paid, cac_payback_months
3. ltv, ltv_to_cac
4. conversion_rate, funnel_step_conversion
5. roi_3m, roi_6m, roi_12m

Input: the raw_* tables of a DuckDB warehouse (read-only) and the dbt vars. Output: one row per
scorecard key with the columns of `scorecard.COLUMNS`.

Run `python -m nyckeltal.oracle.families_1_to_5 WAREHOUSE [AS_OF_DATE]` to compare a built
warehouse with the oracle.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandas as pd

from .scorecard import compare, isnull, read_scorecard, row, sorted_frame

KPI_CODES = (
    "revenue_per_employee",
    "cac",
    "cac_paid",
    "cac_payback_months",
    "ltv",
    "ltv_to_cac",
    "conversion_rate",
    "funnel_step_conversion",
    "roi_3m",
    "roi_6m",
    "roi_12m",
)
DEFAULT_FUNNEL_STEPS = Path(__file__).resolve().parents[2] / "seeds" / "funnel_steps.csv"


# ---------------------------------------------------------------------------------------------
# small helpers


def _read(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    return con.execute(f"select * from {table}").fetchdf()


def _ts(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series).astype("datetime64[ns]")


def _day(series: pd.Series) -> pd.Series:
    """UTC calendar date of a (naive UTC) timestamp or date column, as a midnight timestamp."""
    return _ts(series).dt.normalize()


def _month(series: pd.Series) -> pd.Series:
    return _ts(series).dt.to_period("M").dt.to_timestamp()


def _month_end(month_start: pd.Timestamp) -> pd.Timestamp:
    return month_start + pd.offsets.MonthEnd(0)


def _div(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None:
        return None
    if isnull(numerator) or isnull(denominator) or denominator == 0:
        return None
    return numerator / denominator


class Converter:
    """Money to the reporting currency: latest rate dated on or before the transaction date."""

    def __init__(self, fx: pd.DataFrame, reporting_currency: str) -> None:
        fx = fx.copy()
        fx["rate_date"] = _day(fx["rate_date"])
        fx["rate_to_reporting"] = fx["rate_to_reporting"].astype(float)
        self.rates = {cur: g.sort_values("rate_date") for cur, g in fx.groupby("currency")}
        self.reporting = reporting_currency

    def convert(self, df: pd.DataFrame, amount: str, currency: str, date: str) -> pd.Series:
        """Converted amounts (float), index-aligned with df; raise when a rate is missing."""
        out = pd.Series(float("nan"), index=df.index, dtype=float)
        if df.empty:
            return out
        days = _day(df[date])
        for cur, idx in df.groupby(currency, dropna=False).groups.items():
            amounts = df.loc[idx, amount].astype(float)
            if cur == self.reporting:
                out.loc[idx] = amounts
                continue
            rates = self.rates.get(cur)
            if rates is None:
                raise ValueError(f"no fx rate for currency {cur!r}")
            left = pd.DataFrame({"d": days.loc[idx], "_i": idx}).sort_values("d")
            merged = pd.merge_asof(
                left,
                rates[["rate_date", "rate_to_reporting"]],
                left_on="d",
                right_on="rate_date",
                direction="backward",
            )
            if merged["rate_to_reporting"].isna().any():
                raise ValueError(f"no usable fx rate for {cur!r} on some {date}")
            merged = merged.set_index("_i")
            out.loc[idx] = amounts.to_numpy() * merged.loc[idx, "rate_to_reporting"].to_numpy()
        return out


# ---------------------------------------------------------------------------------------------
# the oracle


class Oracle:
    def __init__(
        self,
        warehouse: str | Path,
        *,
        reporting_currency: str = "EUR",
        gross_margin: float = 0.80,
        ltv_max_lifetime_months: float = 60,
        engagement_min_respondents: int = 5,
        as_of_date: str | dt.date | None = None,
        funnel_steps_csv: str | Path = DEFAULT_FUNNEL_STEPS,
    ) -> None:
        self.gm = float(gross_margin)
        self.cap = float(ltv_max_lifetime_months)
        del engagement_min_respondents  # families 9 only
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            t = {
                name: _read(con, f"raw_{name}")
                for name in (
                    "crm.customers",
                    "crm.leads",
                    "crm.nps_responses",
                    "billing.plans",
                    "billing.subscriptions",
                    "billing.invoices",
                    "billing.fx_rates",
                    "hr.employees",
                    "hr.payroll",
                    "hr.engagement_responses",
                    "marketing.campaigns",
                    "marketing.ad_spend",
                    "marketing.expenses",
                    "marketing.web_events",
                )
            }
        finally:
            con.close()
        self.t = t
        self.fx = Converter(t["billing.fx_rates"], reporting_currency)
        self.funnel = pd.read_csv(funnel_steps_csv, dtype={"event_name": str, "step_name": str})
        self.funnel = self.funnel.sort_values("step_order").reset_index(drop=True)
        self._prepare(as_of_date)

    # -- conventions ------------------------------------------------------------------------
    def _prepare(self, as_of_date: str | dt.date | None) -> None:
        t = self.t
        dated: list[pd.Series] = [
            _day(t["billing.invoices"]["issued_at"]),
            _day(t["billing.subscriptions"]["started_at"]),
            _day(t["billing.subscriptions"]["ended_at"]),
            _day(t["marketing.web_events"]["occurred_at"]),
            _day(t["marketing.ad_spend"]["spend_date"]),
            _day(t["marketing.expenses"]["booked_on"]),
            _day(t["crm.leads"]["created_at"]),
            _day(t["crm.leads"]["qualified_at"]),
            _day(t["crm.nps_responses"]["responded_at"]),
            _day(t["crm.customers"]["created_at"]),
            _day(t["hr.engagement_responses"]["survey_date"]),
            _month(t["hr.payroll"]["pay_month"]) + pd.offsets.MonthEnd(0),
        ]
        all_dates = pd.concat([d.dropna() for d in dated if not d.dropna().empty])
        self.earliest = all_dates.min()
        self.as_of = pd.Timestamp(as_of_date) if as_of_date is not None else all_dates.max()
        first = self.earliest.to_period("M").to_timestamp()
        last = self.as_of.to_period("M").to_timestamp()
        self.months = list(pd.date_range(first, last, freq="MS"))

        # revenue (non-void invoices), all invoices converted (void included: rate required)
        inv = t["billing.invoices"].copy()
        inv["amount_rc"] = self.fx.convert(inv, "amount", "currency", "issued_at")
        inv["day"] = _day(inv["issued_at"])
        inv["month"] = _month(inv["issued_at"])
        self.invoices_all = inv
        self.revenue = inv[inv["status"] != "void"].copy()

        # subscriptions: MRR converted once at started_at
        subs = t["billing.subscriptions"].copy()
        subs["started_at"] = _ts(subs["started_at"])
        subs["ended_at"] = _ts(subs["ended_at"])
        subs["mrr_rc"] = self.fx.convert(subs, "mrr", "currency", "started_at")
        self.subs = subs

        cust = t["crm.customers"].copy()
        self.channel_of = dict(zip(cust["customer_id"], cust["acquisition_channel"], strict=True))
        self.campaign_of = dict(
            zip(cust["customer_id"], cust["acquisition_campaign_id"], strict=True)
        )

        # acquisition: month of earliest started_at
        first_start = subs.groupby("customer_id")["started_at"].min().rename("first_start")
        s = subs.merge(first_start, left_on="customer_id", right_index=True)
        acq_mrr = s[s["started_at"] == s["first_start"]].groupby("customer_id")["mrr_rc"].sum()
        acq = first_start.to_frame()
        acq["acq_mrr"] = acq_mrr
        acq["month"] = _month(acq["first_start"])
        acq["channel"] = acq.index.map(self.channel_of)
        self.acq = acq.reset_index()

        # ad spend with the campaign's channel
        ad = t["marketing.ad_spend"].copy()
        ad["spend_rc"] = self.fx.convert(ad, "spend", "currency", "spend_date")
        ad["day"] = _day(ad["spend_date"])
        ad["month"] = _month(ad["spend_date"])
        camps = t["marketing.campaigns"]
        ad["channel"] = ad["campaign_id"].map(
            dict(zip(camps["campaign_id"], camps["channel"], strict=True))
        )
        self.ad = ad
        self.paid_channels = sorted(set(camps["channel"].dropna()))

        # sales & marketing cost per month
        exp = t["marketing.expenses"].copy()
        exp["amount_rc"] = self.fx.convert(exp, "amount", "currency", "booked_on")
        exp["month"] = _month(exp["booked_on"])
        pay = t["hr.payroll"].copy()
        pay["cost"] = pay["gross_salary"].astype(float) + pay["employer_costs"].astype(float)
        pay["cost_rc"] = self.fx.convert(pay, "cost", "currency", "pay_month")
        pay["month"] = _month(pay["pay_month"])
        emp = t["hr.employees"]
        pay["department"] = pay["employee_id"].map(
            dict(zip(emp["employee_id"], emp["department"], strict=True))
        )
        pay = pay[pay["department"].isin(["sales", "marketing"])]
        self.sm_cost = (
            ad.groupby("month")["spend_rc"]
            .sum()
            .add(exp.groupby("month")["amount_rc"].sum(), fill_value=0)
            .add(pay.groupby("month")["cost_rc"].sum(), fill_value=0)
        )

    # -- 1. revenue per employee --------------------------------------------------------------
    def revenue_per_employee(self) -> list[dict]:
        emp = self.t["hr.employees"].copy()
        emp["hired_on"] = _day(emp["hired_on"])
        emp["terminated_on"] = _day(emp["terminated_on"])
        emp["fte"] = emp["fte"].astype(float)
        rows = []
        for m in self.months:
            end = _month_end(m)
            ndays = end.day
            lo = emp["hired_on"].where(emp["hired_on"] > m, m)
            hi = emp["terminated_on"].fillna(end)
            hi = hi.where(hi < end, end)
            days = ((hi - lo).dt.days + 1).clip(lower=0)
            fte_days = emp["fte"] * days
            active = days > 0
            total_fte = fte_days.sum() / ndays
            rev_m = self.revenue[self.revenue["month"] == m]
            total_rev = rev_m["amount_rc"].sum()
            args = (m, end, "month")

            def add(seg_type, seg_value, num, den, args=args):
                rows.append(
                    row(
                        "revenue_per_employee",
                        *args,
                        seg_type,
                        seg_value,
                        num,
                        den,
                        _div(num, den),
                        "currency",
                        self.as_of,
                    )
                )

            add("total", "all", total_rev, total_fte)
            dept_fte = fte_days[active].groupby(emp.loc[active, "department"]).sum() / ndays
            for d, f in dept_fte.items():
                if f > 0:
                    add("department", d, total_rev, f)
            pl_fte = fte_days[active].groupby(emp.loc[active, "product_line"]).sum() / ndays
            pl_fte = pl_fte[pl_fte > 0]
            all_inv_m = self.invoices_all[self.invoices_all["month"] == m]
            pls = set(pl_fte.index) | set(all_inv_m["product_line"].dropna())
            pl_rev = rev_m.groupby("product_line")["amount_rc"].sum()
            for p in sorted(pls):
                add("product_line", p, pl_rev.get(p, 0.0), pl_fte.get(p, 0.0))
        return rows

    # -- 2. CAC ---------------------------------------------------------------------------
    def cac(self) -> list[dict]:
        rows = []
        for m in self.months:
            end = _month_end(m)
            acq_m = self.acq[self.acq["month"] == m]
            n_acq = len(acq_m)
            cost = float(self.sm_cost.get(m, 0.0))
            cac_value = _div(cost, n_acq)
            rows.append(
                row(
                    "cac",
                    m,
                    end,
                    "month",
                    "total",
                    "all",
                    cost,
                    n_acq,
                    cac_value,
                    "currency",
                    self.as_of,
                )
            )
            # cac_paid
            ad_m = self.ad[self.ad["month"] == m]
            spend_all = ad_m["spend_rc"].sum()
            rows.append(
                row(
                    "cac_paid",
                    m,
                    end,
                    "month",
                    "total",
                    "all",
                    spend_all,
                    n_acq,
                    _div(spend_all, n_acq),
                    "currency",
                    self.as_of,
                )
            )
            for ch in self.paid_channels:
                spend_rows = ad_m[ad_m["channel"] == ch]
                n = int((acq_m["channel"] == ch).sum())
                if spend_rows.empty and n == 0:
                    continue
                spend = spend_rows["spend_rc"].sum()
                rows.append(
                    row(
                        "cac_paid",
                        m,
                        end,
                        "month",
                        "channel",
                        ch,
                        spend,
                        n,
                        _div(spend, n),
                        "currency",
                        self.as_of,
                    )
                )
            # payback
            if n_acq == 0:
                num = den = None
            else:
                num = cac_value
                den = acq_m["acq_mrr"].mean() * self.gm
            rows.append(
                row(
                    "cac_payback_months",
                    m,
                    end,
                    "month",
                    "total",
                    "all",
                    num,
                    den,
                    _div(num, den),
                    "months",
                    self.as_of,
                )
            )
        return rows

    # -- 3. LTV -----------------------------------------------------------------------------
    def _active_at(self, instant: pd.Timestamp) -> set:
        s = self.subs
        mask = (s["started_at"] <= instant) & (s["ended_at"].isna() | (instant < s["ended_at"]))
        return set(s.loc[mask, "customer_id"])

    def ltv(self) -> list[dict]:
        if not self.months:
            return []
        first = self.months[0] - pd.DateOffset(months=11)
        spine_months = list(
            pd.date_range(first, self.months[-1] + pd.DateOffset(months=1), freq="MS")
        )
        active = {m: self._active_at(m) for m in spine_months}
        # per month: customers at start, churned, by channel (None = total)
        cm: dict[pd.Timestamp, dict] = {}
        for m in spine_months[:-1]:
            at_start = active[m]
            nxt = active[m + pd.DateOffset(months=1)]
            churned = at_start - nxt
            per = {None: (len(at_start), len(churned))}
            for c in at_start:
                ch = self.channel_of.get(c)
                if isnull(ch):
                    continue
                a, b = per.get(ch, (0, 0))
                per[ch] = (a + 1, b + (c in churned))
            cm[m] = per
        rev = self.revenue.copy()
        rev["channel"] = rev["customer_id"].map(self.channel_of)
        rev_total = rev.groupby("month")["amount_rc"].sum()
        rev_ch = rev.dropna(subset=["channel"]).groupby(["month", "channel"])["amount_rc"].sum()
        acq_total = self.acq.groupby("month").size()
        acq_ch = self.acq.dropna(subset=["channel"]).groupby(["month", "channel"]).size()
        spend_ch = (
            self.ad.dropna(subset=["channel"]).groupby(["month", "channel"])["spend_rc"].sum()
        )

        rows = []
        for m in self.months:
            end = _month_end(m)
            window = list(pd.date_range(m - pd.DateOffset(months=11), m, freq="MS"))
            segs: dict = {}
            for w in window:
                for seg, (a, b) in cm[w].items():
                    x, y = segs.get(seg, (0, 0))
                    segs[seg] = (x + a, y + b)
            segs.setdefault(None, (0, 0))
            for seg, (months_, churned) in sorted(segs.items(), key=lambda kv: str(kv[0])):
                if seg is None:
                    st, sv = "total", "all"
                    revenue = sum(rev_total.get(w, 0.0) for w in window)
                    n_acq = sum(int(acq_total.get(w, 0)) for w in window)
                    cost = sum(float(self.sm_cost.get(w, 0.0)) for w in window)
                else:
                    if months_ == 0:
                        continue
                    st, sv = "channel", seg
                    revenue = sum(rev_ch.get((w, seg), 0.0) for w in window)
                    n_acq = sum(int(acq_ch.get((w, seg), 0)) for w in window)
                    cost = sum(float(spend_ch.get((w, seg), 0.0)) for w in window)
                if months_ == 0:
                    num = den = value = None
                else:
                    arpa = revenue / months_
                    num = arpa * self.gm
                    if churned == 0 or months_ / churned > self.cap:
                        den = None
                        lifetime = self.cap
                    else:
                        den = churned / months_
                        lifetime = months_ / churned
                    value = num * lifetime
                rows.append(
                    row("ltv", m, end, "ttm", st, sv, num, den, value, "currency", self.as_of)
                )
                ttm_cac = cost / n_acq if n_acq > 0 else None
                rows.append(
                    row(
                        "ltv_to_cac",
                        m,
                        end,
                        "ttm",
                        st,
                        sv,
                        value,
                        ttm_cac,
                        _div(value, ttm_cac),
                        "ratio",
                        self.as_of,
                    )
                )
        return rows

    # -- 4. conversion ----------------------------------------------------------------------
    def conversion(self) -> list[dict]:
        ev = self.t["marketing.web_events"][
            ["event_id", "occurred_at", "visitor_id", "event_name", "channel"]
        ].copy()
        ev["occurred_at"] = _ts(ev["occurred_at"])
        ev["month"] = _month(ev["occurred_at"])
        ev = ev.sort_values(["occurred_at", "event_id"], kind="mergesort")
        visitors = ev.groupby(["month", "visitor_id"], sort=False).first()[["channel"]]
        steps = list(self.funnel.itertuples(index=False))
        goal = steps[-1].event_name
        converted = set(
            map(tuple, ev.loc[ev["event_name"] == goal, ["month", "visitor_id"]].to_numpy())
        )
        visitors["converted"] = [k in converted for k in visitors.index]
        visitors = visitors.reset_index()

        # ordered funnel
        reached: list[pd.DataFrame] = []
        prev = None
        for step in steps:
            e = ev.loc[ev["event_name"] == step.event_name, ["month", "visitor_id", "occurred_at"]]
            if prev is not None:
                e = e.merge(prev, on=["month", "visitor_id"])
                e = e[e["occurred_at"] >= e["t_prev"]]
            cur = e.groupby(["month", "visitor_id"])["occurred_at"].min().rename("t_prev")
            cur = cur.reset_index()
            reached.append(cur)
            prev = cur
        n_vis = visitors.groupby("month").size()
        n_conv = visitors.groupby("month")["converted"].sum()
        ch_vis = visitors.groupby(["month", "channel"]).size()
        ch_conv = visitors.groupby(["month", "channel"])["converted"].sum()
        n_reached = [r.groupby("month").size() for r in reached]

        rows = []
        for m in self.months:
            end = _month_end(m)

            def add(kpi, st, sv, num, den, m=m, end=end):
                rows.append(
                    row(
                        kpi,
                        m,
                        end,
                        "month",
                        st,
                        sv,
                        num,
                        den,
                        _pct(num, den),
                        "percent",
                        self.as_of,
                    )
                )

            v = int(n_vis.get(m, 0))
            add("conversion_rate", "total", "all", int(n_conv.get(m, 0)), v)
            if m in ch_vis.index.get_level_values(0):
                for ch, cnt in ch_vis.loc[m].items():
                    add("conversion_rate", "channel", ch, int(ch_conv.loc[(m, ch)]), int(cnt))
            add("funnel_step_conversion", "total", "all", int(n_reached[-1].get(m, 0)), v)
            den = v
            for step, r in zip(steps, n_reached, strict=True):
                num = int(r.get(m, 0))
                if num != 0 or den != 0:
                    add("funnel_step_conversion", "funnel_step", step.event_name, num, den)
                den = num
        return rows

    # -- 5. ROI -----------------------------------------------------------------------------
    def roi(self) -> list[dict]:
        camps = self.t["marketing.campaigns"].copy()
        rev = self.revenue.copy()
        rev["campaign"] = rev["customer_id"].map(self.campaign_of)
        rows = []
        for c in camps.itertuples(index=False):
            start = pd.Timestamp(c.started_on)
            spend = self.ad[self.ad["campaign_id"] == c.campaign_id]
            r = rev[rev["campaign"] == c.campaign_id]
            for h in (3, 6, 12):
                stop = start + pd.DateOffset(months=h)
                cost = spend.loc[(spend["day"] >= start) & (spend["day"] < stop), "spend_rc"].sum()
                revenue = r.loc[(r["day"] >= start) & (r["day"] < stop), "amount_rc"].sum()
                num = self.gm * revenue - cost
                rows.append(
                    row(
                        f"roi_{h}m",
                        start,
                        stop - pd.Timedelta(days=1),
                        "campaign_window",
                        "campaign",
                        c.campaign_id,
                        num,
                        cost,
                        _pct(num, cost),
                        "percent",
                        self.as_of,
                    )
                )
        return rows

    def compute(self) -> pd.DataFrame:
        rows = self.revenue_per_employee() + self.cac() + self.ltv() + self.conversion()
        rows += self.roi()
        return sorted_frame(rows)


def _pct(num: float | None, den: float | None) -> float | None:
    q = _div(num, den)
    return None if q is None else q * 100


def compute_kpis(warehouse: str | Path, **dbt_vars: object) -> pd.DataFrame:
    """The oracle's rows for KPI families 1-5."""
    return Oracle(warehouse, **dbt_vars).compute()


# ---------------------------------------------------------------------------------------------
# comparison with the scorecard


def scorecard_rows(warehouse: str | Path, kpi_codes: Iterable[str] = KPI_CODES) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return read_scorecard(con, kpi_codes)


def main(argv: list[str]) -> int:
    warehouse = argv[0]
    as_of = argv[1] if len(argv) > 1 else None
    oracle = compute_kpis(warehouse, as_of_date=as_of)
    problems = compare(oracle, scorecard_rows(warehouse))
    by_kpi = oracle.groupby("kpi_code").size()
    print(f"oracle rows: {len(oracle)}", by_kpi.to_dict())
    for p in problems[:200]:
        print(p)
    print(f"{len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
