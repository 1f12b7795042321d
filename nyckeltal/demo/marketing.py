"""marketing.campaigns, marketing.ad_spend, marketing.expenses and marketing.market_sizes.

Campaigns per channel (always-on brand search per region, search and LinkedIn/Meta flights,
e-mail nurture sends, trade shows, partner programmes) whose daily spend buys clicks (web
visitors, see `web`) and leads (spend / cost per lead, see `crm`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from nyckeltal.demo.common import (
    APPROX_EUR,
    CHANNELS,
    CURRENCIES,
    NORTH_AMERICA_LAUNCH,
    REGION_CURRENCY,
    REGION_LABELS,
    Window,
    add_months_date,
    cents,
    date_of,
    dates,
    day_number,
    id_array,
    id_width,
    labels,
    money,
    months_of,
    pick,
    weekday_in_month,
    weekdays,
)

SEARCH, SOCIAL, EMAIL, EVENTS, PARTNER = 1, 2, 3, 5, 6  # codes in common.CHANNELS
CPL_EUR = np.array([0, 170.0, 240.0, 30.0, 0, 650.0, 220.0, 0])  # cost per lead by channel
CPC_EUR = {SEARCH: 2.4, SOCIAL: 4.5}
CTR = {SEARCH: 0.045, SOCIAL: 0.007}
NO_REGION = 4
# fmt: off
THEMES = ("Analytics trial", "Automation trial", "Dashboards for finance", "Workflow automation",
          "Ops leaders", "Customer stories", "Webinar", "Data quality", "Reporting in minutes")
EVENT_NAMES = ("Nordic SaaS Summit", "Slush", "DMEXCO", "SaaStr Europa", "Big Data London",
               "Data Innovation Summit", "TechBBQ", "Collision", "Gartner Data & Analytics",
               "Techarena", "Bits & Pretzels", "Web Summit")
PARTNERS = ("Nordic Cloud Partners", "DataBridge Consulting", "Alpine IT Services",
            "Bluefin Resellers", "Crown Digital", "Maple Integrators")
# HARD CASE: campaigns still running (ended_on null), and two started within the last three
# months of data (their 3-, 6- and 12-month ROI windows are incomplete).
# (name, channel, region, currency, started (None: first day), ended, EUR budget a day)
FIXED_CAMPAIGNS = (
    ("Search | Brand | Nordics", SEARCH, 0, 0, None, None, 85.0),
    ("Search | Brand | DACH", SEARCH, 1, 0, None, None, 70.0),
    ("Search | Brand | UK & Ireland", SEARCH, 2, 0, None, None, 45.0),
    ("Search | North America launch", SEARCH, 3, 2, NORTH_AMERICA_LAUNCH, None, 110.0),
    ("Partner | Nordic reseller programme", PARTNER, 0, 1, None, None, 2200.0),
    ("LinkedIn | Automation launch | Europe", SOCIAL, NO_REGION, 0, dt.date(2026, 9, 14),
     None, 190.0),
    ("Event | Web Summit 2026", EVENTS, NO_REGION, 0, dt.date(2026, 11, 10),
     dt.date(2026, 11, 12), 26000.0),
)
# fmt: on
# channel: (flights at factor 1, duration range in days, EUR budget range)
FLIGHTS = {
    SEARCH: (6, (60, 180), (50.0, 130.0)),
    SOCIAL: (9, (30, 120), (90.0, 220.0)),
    EMAIL: (10, (21, 45), (250.0, 600.0)),
    EVENTS: (7, (1, 3), (8000.0, 30000.0)),
    PARTNER: (3, (120, 365), (1200.0, 3500.0)),
}
FLIGHT_REGIONS = np.array([0.3, 0.2, 0.1, 0.1, 0.3])  # nordics, dach, uk_ie, n. america, none
MAX_CAMPAIGN_FACTOR = 25.0  # beyond, campaigns get larger budgets rather than more numerous


@dataclass
class Campaigns:
    """Campaigns in id order (cmp_0001 ...), column by column."""

    name: list[str]
    channel: np.ndarray
    region: np.ndarray  # 0-3, NO_REGION
    currency: np.ndarray
    started: np.ndarray  # days since 1970
    ended: np.ndarray  # days since 1970, -1 while running
    budget: np.ndarray  # EUR per active day / send / event / month

    def last_day(self, window: Window) -> np.ndarray:
        return np.where(self.ended < 0, day_number(window.end), self.ended)

    def table(self) -> pa.Table:
        return pa.table(
            {
                "campaign_id": id_array("cmp", np.arange(1, len(self.name) + 1), self.width),
                "campaign_name": pa.array(self.name, pa.string()),
                "channel": channel_labels(self.channel),
                "started_on": dates(self.started),
                "ended_on": dates(np.maximum(self.ended, 0), self.ended < 0),
            }
        )

    @property
    def width(self) -> int:
        return id_width(len(self.name))


def channel_labels(codes: np.ndarray) -> pa.Array:
    return labels(CHANNELS, codes)


def campaigns(rng: np.random.Generator, window: Window, factor: float) -> Campaigns:
    """Fixed always-on and recent campaigns, plus flights (count x factor, capped)."""
    count_factor = min(factor, MAX_CAMPAIGN_FACTOR)
    budget_factor = factor / count_factor
    rows = []
    for name, channel, region, currency, started, ended, budget in FIXED_CAMPAIGNS:
        first = max(started or window.start, window.start)
        rows.append((name, channel, region, currency, first, ended, budget * factor))
    span = window.days - 20
    for channel, (count, (short, long), (low, high)) in FLIGHTS.items():
        n = round(count * count_factor * window.months / 27)
        started = day_number(window.start) + rng.integers(0, span, n)
        duration = rng.integers(short, long + 1, n)
        region = pick(rng, FLIGHT_REGIONS, n)
        launch = day_number(NORTH_AMERICA_LAUNCH)
        region = np.where((region == 3) & (started < launch), 1, region)
        budget = rng.uniform(low, high, n) * budget_factor
        label, theme = rng.integers(0, 2, n), rng.integers(0, len(THEMES), n)
        event, partner = rng.integers(0, len(EVENT_NAMES), n), rng.integers(0, len(PARTNERS), n)
        for i in range(n):
            currency = int(REGION_CURRENCY[region[i]])
            if channel in (SEARCH, SOCIAL) and currency == 1:
                currency = 0  # the ad platforms bill the Nordic accounts in EUR
            first = date_of(started[i])
            last = first + dt.timedelta(days=int(duration[i]) - 1)
            where, when = REGION_LABELS[region[i]], first.strftime("%Y-%m")
            if channel == EVENTS:
                name = f"Event | {EVENT_NAMES[event[i]]} | {when}"
            elif channel == PARTNER:
                name = f"Partner | {PARTNERS[partner[i]]} co-marketing | {where} | {when}"
            else:
                kind = {SEARCH: "Search", EMAIL: "Email"}.get(channel)
                kind = kind or ("LinkedIn", "Meta")[label[i]]
                name = f"{kind} | {THEMES[theme[i]]} | {where} | {when}"
            ended = None if last > window.end else last
            rows.append((name, channel, int(region[i]), currency, first, ended, budget[i]))
    rows.sort(key=lambda row: (row[4], row[1], row[0], row[6]))
    return Campaigns(
        name=[row[0] for row in rows],
        channel=np.array([row[1] for row in rows], dtype=np.int64),
        region=np.array([row[2] for row in rows], dtype=np.int64),
        currency=np.array([row[3] for row in rows], dtype=np.int64),
        started=np.array([day_number(row[4]) for row in rows], dtype=np.int64),
        ended=np.array([day_number(row[5]) if row[5] else -1 for row in rows], dtype=np.int64),
        budget=np.array([row[6] for row in rows], dtype=float),
    )


@dataclass
class AdSpend:
    """One row per campaign and day with spend, sorted by campaign then day."""

    campaign: np.ndarray  # index into Campaigns
    day: np.ndarray
    spend_eur: np.ndarray
    impressions: np.ndarray
    clicks: np.ndarray

    def table(self, plan: Campaigns) -> pa.Table:
        currency = plan.currency[self.campaign]
        return pa.table(
            {
                "spend_date": dates(self.day),
                "campaign_id": id_array("cmp", self.campaign + 1, plan.width),
                "spend": money(cents(self.spend_eur / APPROX_EUR[currency])),
                "currency": labels(CURRENCIES, currency),
                "impressions": pa.array(self.impressions, pa.int64()),
                "clicks": pa.array(self.clicks, pa.int64()),
            }
        )


def ad_spend(rng: np.random.Generator, window: Window, plan: Campaigns) -> AdSpend:
    """Search and social spend daily, e-mail on three send days, events on event days,
    partner fees on the first of each month (and the first day)."""
    last = plan.last_day(window)
    length = last - plan.started + 1
    campaign = np.repeat(np.arange(len(length)), length)
    offset = np.arange(len(campaign)) - np.repeat(np.cumsum(length) - length, length)
    day = plan.started[campaign] + offset
    channel = plan.channel[campaign]
    # e-mail: sends at 0, 1/3 and 2/3 of the planned length
    planned = np.where(plan.ended < 0, day_number(window.end), plan.ended) - plan.started + 1
    thirds = [(k * planned[campaign]) // 3 for k in range(3)]
    sends = (offset == thirds[0]) | (offset == thirds[1]) | (offset == thirds[2])
    partner_days = (months_day(day) == 1) | (offset == 0)
    keep = np.where(channel == EMAIL, sends, np.where(channel == PARTNER, partner_days, True))
    campaign, day, channel, offset = campaign[keep], day[keep], channel[keep], offset[keep]
    n, budget = len(day), plan.budget[campaign]
    paid = (channel == SEARCH) | (channel == SOCIAL)
    weekday = np.where(weekdays(day) < 5, 1.0, 0.55)
    july = np.where(months_of(day) == 7, 0.7, 1.0)
    paid_spend = budget * weekday * window.trend(day) * rng.uniform(0.8, 1.2, n) * july
    cpc = np.where(channel == SEARCH, CPC_EUR[SEARCH], CPC_EUR[SOCIAL])
    ctr = np.where(channel == SEARCH, CTR[SEARCH], CTR[SOCIAL])
    paid_clicks = np.round(paid_spend / (cpc * rng.uniform(0.85, 1.15, n)))
    paid_impressions = np.round(paid_clicks / (ctr * rng.uniform(0.8, 1.2, n)))
    mail_spend = budget * rng.uniform(0.9, 1.1, n)
    delivered = np.round(mail_spend / 0.012)
    mail_clicks = np.round(delivered * rng.uniform(0.015, 0.03, n))
    event_spend = budget / length[campaign] * rng.uniform(0.95, 1.05, n)
    partner_spend = budget * rng.uniform(0.9, 1.1, n)
    spend = np.select(
        [paid, channel == EMAIL, channel == EVENTS],
        [paid_spend, mail_spend, event_spend],
        partner_spend,
    )
    impressions = np.select([paid, channel == EMAIL], [paid_impressions, delivered], 0)
    clicks = np.select([paid, channel == EMAIL], [paid_clicks, mail_clicks], 0)
    return AdSpend(campaign, day, spend, impressions.astype(np.int64), clicks.astype(np.int64))


def months_day(days: np.ndarray) -> np.ndarray:
    """Day of the month (1-31) of days since 1970."""
    as_days = days.astype("datetime64[D]")
    return (as_days - as_days.astype("datetime64[M]").astype("datetime64[D]")).astype(int) + 1


# --- marketing.expenses -------------------------------------------------------------------------

DEPARTMENTS = ("marketing", "sales")
CATEGORIES = ("software", "agency", "travel", "content", "training", "customer_events",
              "market_research")  # fmt: skip
# (department, category, currency, amount range in that currency, per month at factor 1;
# None: one a month at every factor, more at larger factors)
EXPENSES = (
    (0, 0, 2, (2300.0, 2500.0), None),  # marketing automation
    (1, 0, 2, (3000.0, 3200.0), None),  # CRM seats
    (0, 1, 0, (5200.0, 5800.0), None),  # performance agency retainer
    (1, 0, 1, (17000.0, 19000.0), None),  # sales engagement tool
    (1, 2, 1, (8000.0, 45000.0), 4.0),
    (0, 2, 0, (800.0, 6000.0), 1.0),
    (0, 3, 1, (15000.0, 60000.0), 1.5),
    (1, 4, 1, (5000.0, 25000.0), 0.5),
    (1, 5, 1, (10000.0, 40000.0), 0.7),
    (0, 6, 0, (2000.0, 9000.0), 0.25),
)
REFUND = (dt.date(2025, 5, 12), 1, 2, -1_240_000, 1)  # HARD CASE: a negative expense


def expenses(rng: np.random.Generator, window: Window, factor: float) -> pa.Table:
    """S&M costs that are neither ad spend nor payroll (software, agencies, travel, ...)."""
    parts = []
    for department, category, currency, (low, high), per_month in EXPENSES:
        if per_month is None:
            counts = np.full(window.months, max(1, round(factor)))
        else:
            counts = rng.poisson(per_month * factor, window.months)
        month = np.repeat(np.arange(window.months), counts)
        n = len(month)
        parts.append(
            np.column_stack(
                [
                    weekday_in_month(rng, window, month),
                    np.full(n, department),
                    np.full(n, category),
                    cents(rng.uniform(low, high, n)),
                    np.full(n, currency),
                ]
            )
        )
    refund_day, department, category, amount, currency = REFUND
    parts.append(np.array([[day_number(refund_day), department, category, amount, currency]]))
    rows = np.concatenate(parts)
    rows = rows[np.lexsort((rows[:, 3], rows[:, 2], rows[:, 1], rows[:, 0]))]
    return pa.table(
        {
            "expense_id": id_array("exp", np.arange(1, len(rows) + 1), id_width(len(rows))),
            "booked_on": dates(rows[:, 0]),
            "department": labels(DEPARTMENTS, rows[:, 1]),
            "category": labels(CATEGORIES, rows[:, 2]),
            "amount": money(rows[:, 3]),
            "currency": labels(CURRENCIES, rows[:, 4]),
        }
    )


# --- marketing.market_sizes -----------------------------------------------------------------------

# Quarterly market revenue in EUR at factor 1 (region, product line).
# fmt: off
MARKET_EUR = {
    ("nordics", "analytics"): 9.0e6, ("nordics", "automation"): 6.0e6,
    ("dach", "analytics"): 25.0e6, ("dach", "automation"): 18.0e6,
    ("uk_ie", "analytics"): 14.0e6, ("uk_ie", "automation"): 10.0e6,
    ("north_america", "analytics"): 160.0e6, ("north_america", "automation"): 120.0e6,
}
# fmt: on
QUARTER_CURRENCY = {"nordics": 1, "dach": 0, "uk_ie": 0, "north_america": 2}


def market_sizes(rng: np.random.Generator, window: Window, factor: float) -> pa.Table:
    """HARD CASE: two grains. A Nordic research firm publishes calendar quarters in local
    currency; a global analyst publishes September-August fiscal years in USD. No quarter
    starts on 1 September, so each period_start has a single period_end. Figures scale with
    the company so that market shares stay plausible at any factor."""
    rows = []
    first = dt.date(window.start.year, (window.start.month - 1) // 3 * 3 + 1, 1)
    quarter = 0
    while True:
        if first < window.start:
            first = add_months_date(first, 3)
            continue
        last = add_months_date(first, 3) - dt.timedelta(days=1)
        if last > window.end:
            break
        for (region, line), eur in MARKET_EUR.items():
            currency = QUARTER_CURRENCY[region]
            value = eur * factor * 1.025**quarter * rng.uniform(0.97, 1.03)
            value = round(value / APPROX_EUR[currency], -3)
            rows.append(
                (first, last, region, line, value, currency, "nordic_saas_monitor_quarterly")
            )
        first, quarter = add_months_date(first, 3), quarter + 1
    year = 0
    for start_year in range(window.start.year, window.end.year):
        first, last = dt.date(start_year, 9, 1), dt.date(start_year + 1, 8, 31)
        if first < window.start or last > window.end:
            continue
        for (region, line), eur in MARKET_EUR.items():
            value = 4 * eur * factor * 1.1**year * rng.uniform(0.95, 1.05) / APPROX_EUR[2]
            rows.append(
                (first, last, region, line, round(value, -4), 2, "global_analyst_fiscal_year")
            )
        year += 1
    rows.sort()
    return pa.table(
        {
            "period_start": dates([day_number(row[0]) for row in rows]),
            "period_end": dates([day_number(row[1]) for row in rows]),
            "region": pa.array([row[2] for row in rows]),
            "product_line": pa.array([row[3] for row in rows]),
            "market_revenue": money(cents([row[4] for row in rows])),
            "currency": labels(CURRENCIES, np.array([row[5] for row in rows])),
            "source": pa.array([row[6] for row in rows]),
        }
    )
