"""The deterministic demo dataset: a Swedish B2B SaaS company, September 2024 to mid-November 2026.

The story
---------
*Fjällkod AB* (Stockholm) sells two product lines, ``analytics`` (dashboards) and
``automation`` (workflows), on three tiers each (starter, pro, enterprise), billed monthly or
annually, to companies in the Nordics, DACH, the UK & Ireland and North America (launched in
March 2025). Customers pay in their own currency: SEK in Sweden, USD in North America, EUR
everywhere else. The price book is in EUR.

On 2024-09-01 the company moved to its current CRM and billing systems: the *opening book* of
some 230 customers was imported that day (created and subscribed at 2024-09-01 00:00:00, no
lead), so acquisition KPIs of September 2024 count the whole book. Annual contracts of the
opening book keep their own renewal dates (their previous invoice was issued by the old
system). From then on every month:

* marketing runs campaigns per channel (always-on brand search per region, search and
  LinkedIn/Meta flights, e-mail nurture sends, trade shows, partner programmes) whose daily
  ``ad_spend`` buys clicks; tracked clicks become web visitors, and spend / cost-per-lead
  becomes leads of the campaign. Organic, referral and "other" leads arrive without campaign;
* leads become marketing-qualified (``qualified_at``; for self-serve SMB web leads that is the
  trial start) and some convert after a sales cycle that grows with the segment. The customer
  keeps the lead's channel and campaign; web leads leave a ``page_view -> signup`` trail, and
  self-serve buyers a ``trial_start -> checkout_start -> purchase`` trail, possibly in later
  months;
* customers expand, contract, cross-sell the other product line, churn (about 1.5 % of logos a
  month, more for SMB and unhappy accounts) and sometimes come back. Monthly plans are
  invoiced every month on their anniversary, annual plans once a year (12 x mrr). Recent
  invoices are still open, some churned SMB invoices end uncollectible;
* customers answer NPS surveys (after purchase, after support, twice-yearly relationship
  survey), happier accounts score higher and churn less;
* about 48 employees grow to about 70 (management stays four people), with attrition and
  hires on any day of the month, part-timers, monthly payroll in SEK (a few US sales reps in
  USD and DACH customer success managers in EUR) and a salary revision every April; the
  October and April engagement surveys are anonymous;
* sales & marketing book other costs (software, agencies, travel, content) as expenses, and
  two research firms publish market sizes per region and product line.

The window is fixed (never today's date): data from 2024-09-01 to 2026-11-15 23:59:59, the last
month deliberately incomplete. The November 2026 payroll run (on the 25th) has not happened
yet, so payroll ends with October 2026 (a payroll month would otherwise move the as-of date to
the end of November). Exchange rates start on 2024-08-01, before the first transaction.

The hard cases (each also marked ``HARD CASE`` where it is made)
----------------------------------------------------------------
* void invoices (voided and reissued) and credit notes (negative amounts, status ``paid``):
  proration credits on upgrades, service credits, a credit note without subscription;
* exactly three currencies, EUR, SEK and USD; ``billing.fx_rates`` has SEK and USD on TARGET
  business days only (no weekends, no holidays): 2024-09-01, the first day of data, is a
  Sunday, so the very first conversions already carry Friday's rate;
* a customer who churns (all subscriptions end) and comes back months later (scripted, plus
  random returners); annual plans; upgrades (one subscription ends at the instant the next
  starts, with a proration credit), contractions and cross-sells; a customer with two
  simultaneous subscriptions on different plans with equal MRR (a tie);
* mid-month hires and leavers, part-time FTE (0.5, 0.8), a part-time leaver;
* web funnel steps ``page_view -> signup -> trial_start -> checkout_start -> purchase``, with
  visitors whose steps are out of order (the consent banner delays the page view after the
  signup) and visitors seen in several months;
* engagement groups with fewer than five respondents (management is always four people);
* quarterly and yearly ``market_sizes`` rows (calendar quarters from one firm, September-August
  fiscal years from another, so that no two grains share a ``period_start``);
* campaigns still running (``ended_on`` null), campaigns started in the last three months
  (incomplete ROI windows), leads without campaign, paid-search leads whose UTM tags were lost;
* a refund booked as a negative expense; customers signed in the last days whose subscription
  has not started yet.

The billing hard cases are scripted on the first six customers, whatever the seed and scale:
cus_0001 churns and returns, cus_0002 holds the MRR tie, cus_0003 upgrades (USD, proration
credit), cus_0004 downgrades, cus_0005 pays annually (SEK, and a credit note without
subscription), cus_0006 has a void invoice. The random simulation adds more of each.

Determinism: one ``random.Random`` stream per table family, seeded from the seed and the
family's name; rows are sorted and ids numbered in that order; money is written with two
decimals, rates with ten. The same seed gives byte-identical files (the Parquet file given the
same pyarrow, pinned in requirements.lock). ``scale`` multiplies customers, leads, campaigns,
visitors and employees (management excepted), about linearly; web events are streamed month by
month, so memory stays bounded (scale 50: about a minute and 0.6 GB).
"""

from __future__ import annotations

import bisect
import calendar
import csv
import datetime as dt
import gc
import itertools
import math
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from nyckeltal.contract import TABLES, TABLES_BY_KEY

T = TypeVar("T")

DEFAULT_SEED = 20241
START = dt.date(2024, 9, 1)
END = dt.date(2026, 11, 15)  # last day with data, inclusive
FX_START = dt.date(2024, 8, 1)
LAST_PAYROLL_MONTH = dt.date(2026, 10, 1)
PARQUET_TABLES = ("marketing.web_events",)  # the high-volume table, zstd-compressed

DAY = 86_400
_EPOCH = dt.date(1970, 1, 1).toordinal()


def _ts(day: dt.date, seconds: int = 0) -> int:
    """Seconds since the Unix epoch (UTC) of `day` plus `seconds`."""
    return (day.toordinal() - _EPOCH) * DAY + seconds


START_TS = _ts(START)
END_TS = _ts(END) + DAY  # exclusive: nothing at or after 2026-11-16 00:00:00
N_MONTHS = (END.year - START.year) * 12 + END.month - START.month + 1

# --------------------------------------------------------------------------------------------
# Time and randomness helpers
# --------------------------------------------------------------------------------------------


def _date_of(ts: int) -> dt.date:
    return dt.date.fromordinal(_EPOCH + ts // DAY)


def _fmt_ts(ts: int) -> str:
    days, rest = divmod(ts, DAY)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    day = dt.date.fromordinal(_EPOCH + days).isoformat()
    return f"{day} {hours:02d}:{minutes:02d}:{seconds:02d}"


def _fmt_opt_ts(ts: int | None) -> str | None:
    return None if ts is None else _fmt_ts(ts)


def _money(value: float) -> str:
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def _add_months(day: dt.date, months: int) -> dt.date:
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    return dt.date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def _add_months_ts(ts: int, months: int) -> int:
    return _ts(_add_months(_date_of(ts), months), ts % DAY)


def _month_start(index: int) -> dt.date:
    """First day of month `index` (0 is September 2024)."""
    return _add_months(START, index)


def _month_index(day: dt.date) -> int:
    return (day.year - START.year) * 12 + day.month - START.month


_MONTH_BOUNDS = tuple(
    (_ts(_month_start(index)), min(_ts(_month_start(index + 1)), END_TS))
    for index in range(N_MONTHS)
)


def _month_bounds(index: int) -> tuple[int, int]:
    """[first instant, end) of month `index`, the end clipped to the end of the data."""
    return _MONTH_BOUNDS[index]


def _days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    for ordinal in range(first.toordinal(), last.toordinal() + 1):
        yield dt.date.fromordinal(ordinal)


def _trend(day: dt.date) -> float:
    """Company growth: 1.0 on the first day, about 1.45 at the end of the window."""
    return 1.0 + 0.45 * (day.toordinal() - START.toordinal()) / 806


# fmt: off
# Seasonality of demand by calendar month (Swedish summer and Christmas are quiet).
SEASON = {1: 1.1, 2: 1.05, 3: 1.05, 4: 1.0, 5: 1.0, 6: 0.9, 7: 0.6, 8: 0.8, 9: 1.1, 10: 1.1,
          11: 1.05, 12: 0.75}
# fmt: on

# Web and lead traffic by UTC hour: European office hours plus the US afternoon.
_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 13, 12, 13, 14, 14, 13, 11, 9, 7, 5, 3, 2, 1)
_HOUR_CUMULATIVE = tuple(itertools.accumulate(_HOUR_WEIGHTS))


def _below(rng: random.Random, n: int) -> int:
    """A whole number in [0, n): like randrange, several times faster (for the hot loops)."""
    return int(rng.random() * n)


def _time_of_day(rng: random.Random) -> int:
    hour = bisect.bisect_right(_HOUR_CUMULATIVE, rng.random() * _HOUR_CUMULATIVE[-1])
    return hour * 3600 + _below(rng, 3600)


def _pick(rng: random.Random, weighted: Sequence[tuple[T, float]]) -> T:
    """A value of `weighted` ((value, weight) pairs), drawn by weight."""
    total = sum(weight for _, weight in weighted)
    threshold = rng.random() * total
    for value, weight in weighted:
        threshold -= weight
        if threshold < 0:
            return value
    return weighted[-1][0]


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _weekday_in_month(rng: random.Random, month: int) -> dt.date:
    """A random weekday of month `month`, not after the last day of data."""
    first = _month_start(month)
    last = min(_add_months(first, 1) - dt.timedelta(days=1), END)
    days = [day for day in _days(first, last) if day.weekday() < 5]
    return rng.choice(days)


def _ids(prefix: str, count: int) -> Iterator[str]:
    width = max(4, len(str(count)))
    return (f"{prefix}_{number:0{width}d}" for number in range(1, count + 1))


def _stream(seed: int, family: str) -> random.Random:
    """An independent random stream per table family (str seeds hash with SHA-512)."""
    return random.Random(f"nyckeltal-demo/{seed}/{family}")


# --------------------------------------------------------------------------------------------
# Reference data: regions, currencies, plans
# --------------------------------------------------------------------------------------------

# fmt: off
REGION_LABELS = {"nordics": "Nordics", "dach": "DACH", "uk_ie": "UK & Ireland",
                 "north_america": "North America", None: "Europe"}
# fmt: on
COUNTRIES = {
    "nordics": (("SE", 0.6), ("NO", 0.15), ("DK", 0.15), ("FI", 0.1)),
    "dach": (("DE", 0.7), ("AT", 0.15), ("CH", 0.15)),
    "uk_ie": (("GB", 0.75), ("IE", 0.25)),
    "north_america": (("US", 0.85), ("CA", 0.15)),
}
NORTH_AMERICA_LAUNCH = dt.date(2025, 3, 3)
# Price book: local list price = EUR list price x factor; approximate EUR value of one unit.
PRICE_BOOK = {"EUR": 1.0, "SEK": 11.0, "USD": 1.1}
APPROX_EUR = {"EUR": 1.0, "SEK": 1 / 11.4, "USD": 0.91}

PRODUCT_LINES = ("analytics", "automation")
TIERS = ("starter", "pro", "enterprise")
MONTHLY_LIST_EUR = {
    ("analytics", "starter"): 249,
    ("analytics", "pro"): 749,
    ("analytics", "enterprise"): 2490,
    ("automation", "starter"): 349,
    ("automation", "pro"): 990,
    ("automation", "enterprise"): 3290,
}
ANNUAL_MONTHS_CHARGED = 10  # an annual plan costs ten monthly list prices (two months free)
SEGMENTS = ("smb", "mid_market", "enterprise")


def _country_currency(country: str) -> str:
    return {"SE": "SEK", "US": "USD", "CA": "USD"}.get(country, "EUR")


def _region_currency(region: str | None) -> str:
    return {"nordics": "SEK", "north_america": "USD"}.get(region or "", "EUR")


def _plan_id(line: str, tier: str, interval: str) -> str:
    return f"pln_{line}_{tier}_{'monthly' if interval == 'month' else 'annual'}"


def _plans() -> list[tuple[object, ...]]:
    """billing.plans: 2 product lines x 3 tiers x monthly/annual, list prices in EUR."""
    rows = []
    for line in PRODUCT_LINES:
        for tier in TIERS:
            for interval in ("month", "year"):
                price = MONTHLY_LIST_EUR[(line, tier)]
                price *= 1 if interval == "month" else ANNUAL_MONTHS_CHARGED
                cadence = "monthly" if interval == "month" else "annual"
                name = f"{line.title()} {tier.title()} ({cadence})"
                rows.append(
                    (_plan_id(line, tier, interval), name, line, interval, _money(price), "EUR")
                )
    return sorted(rows)


def _mrr(line: str, tier: str, interval: str, size: float, currency: str) -> float:
    """Monthly recurring amount in `currency`: whole units (tens of SEK), annual / 12."""
    step = 10 if currency == "SEK" else 1
    monthly = MONTHLY_LIST_EUR[(line, tier)] * size * PRICE_BOOK[currency]
    if interval == "month":
        return float(max(step, round(monthly / step) * step))
    yearly = max(step, round(monthly * ANNUAL_MONTHS_CHARGED / step) * step)
    return round(yearly / 12, 2)


# --------------------------------------------------------------------------------------------
# billing.fx_rates
# --------------------------------------------------------------------------------------------


def _easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (the anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _is_business_day(day: dt.date) -> bool:
    """TARGET2 calendar: no weekends, New Year, Good Friday, Easter Monday, 1 May, 25-26 Dec."""
    if day.weekday() >= 5 or (day.month, day.day) in {(1, 1), (5, 1), (12, 25), (12, 26)}:
        return False
    easter = _easter(day.year)
    return day not in (easter - dt.timedelta(days=2), easter + dt.timedelta(days=1))


def _fx_rates(rng: random.Random) -> list[tuple[object, ...]]:
    """billing.fx_rates: ECB-style daily rates for SEK and USD on business days only.

    HARD CASE: weekends and holidays have no rate (2024-09-01, the first day of data, is a
    Sunday), so every conversion must carry the latest earlier rate. EUR, the reporting
    currency, has no rows.
    """
    eur_sek, eur_usd = 11.42, 1.105
    rows = []
    for day in _days(FX_START, END):
        if not _is_business_day(day):
            continue
        eur_sek *= math.exp(rng.gauss(0, 0.0035) + 0.02 * math.log(11.2 / eur_sek))
        eur_usd *= math.exp(rng.gauss(0, 0.0045) + 0.02 * math.log(1.12 / eur_usd))
        sek, usd = round(eur_sek, 4), round(eur_usd, 4)
        rows.append((day.isoformat(), "SEK", f"{1 / sek:.10f}"))
        rows.append((day.isoformat(), "USD", f"{1 / usd:.10f}"))
    return rows


# --------------------------------------------------------------------------------------------
# marketing.campaigns and marketing.ad_spend
# --------------------------------------------------------------------------------------------

WEB_CHANNELS = ("organic", "paid_search", "paid_social", "email", "referral")
CPL_EUR = {
    "paid_search": 170.0,
    "paid_social": 240.0,
    "email": 30.0,
    "events": 650.0,
    "partner": 220.0,
}
CPC_EUR = {"paid_search": 2.4, "paid_social": 4.5}
CTR = {"paid_search": 0.045, "paid_social": 0.007}
# fmt: off
THEMES = ("Analytics trial", "Automation trial", "Dashboards for finance", "Workflow automation",
          "Ops leaders", "Customer stories", "Webinar", "Data quality", "Reporting in minutes")
EVENTS = ("Nordic SaaS Summit", "Slush", "DMEXCO", "SaaStr Europa", "Big Data London",
          "Data Innovation Summit", "TechBBQ", "Collision", "Gartner Data & Analytics",
          "Techarena", "Bits & Pretzels", "Web Summit")
PARTNERS = ("Nordic Cloud Partners", "DataBridge Consulting", "Alpine IT Services",
            "Bluefin Resellers", "Crown Digital", "Maple Integrators")
# fmt: on


@dataclass(slots=True)
class Campaign:
    name: str
    channel: str
    region: str | None
    currency: str
    started_on: dt.date
    ended_on: dt.date | None
    # EUR per active day (search, social), per send (e-mail), per event, per month (partner).
    budget_eur: float
    campaign_id: str = ""

    @property
    def last_day(self) -> dt.date:
        return min(self.ended_on or END, END)

    def active_on(self, day: dt.date) -> bool:
        return self.started_on <= day <= self.last_day


@dataclass(slots=True)
class AdSpend:
    day: dt.date
    campaign: int  # index into the campaign list
    spend_eur: float
    spend: float  # in the campaign's currency
    impressions: int
    clicks: int


# HARD CASE: campaigns still running (ended_on null), and two started within the last three
# months of data (their 3-, 6- and 12-month ROI windows are incomplete).
# fmt: off
_FIXED_CAMPAIGNS = (
    ("Search | Brand | Nordics", "paid_search", "nordics", "SEK", START, None, 85.0),
    ("Search | Brand | DACH", "paid_search", "dach", "EUR", START, None, 70.0),
    ("Search | Brand | UK & Ireland", "paid_search", "uk_ie", "EUR", START, None, 45.0),
    ("Search | North America launch", "paid_search", "north_america", "USD",
     NORTH_AMERICA_LAUNCH, None, 110.0),
    ("Partner | Nordic reseller programme", "partner", "nordics", "SEK", START, None, 2200.0),
    ("LinkedIn | Automation launch | Europe", "paid_social", None, "EUR", dt.date(2026, 9, 14),
     None, 190.0),
    ("Event | Web Summit 2026", "events", None, "EUR", dt.date(2026, 11, 10),
     dt.date(2026, 11, 12), 26000.0),
)
# fmt: on

# channel: (campaigns at scale 1, duration range in days, budget range in EUR)
# Target regions of the flights (None: all of Europe).
CAMPAIGN_REGIONS = (
    (None, 0.3),
    ("nordics", 0.3),
    ("dach", 0.2),
    ("uk_ie", 0.1),
    ("north_america", 0.1),
)
_FLIGHTS = {
    "paid_search": (6, (60, 180), (50.0, 130.0)),
    "paid_social": (9, (30, 120), (90.0, 220.0)),
    "email": (10, (21, 45), (250.0, 600.0)),
    "events": (7, (1, 3), (8000.0, 30000.0)),
    "partner": (3, (120, 365), (1200.0, 3500.0)),
}


def _campaigns(rng: random.Random, scale: float) -> list[Campaign]:
    """marketing.campaigns: fixed always-on and recent ones, plus flights (count x scale)."""
    campaigns = [
        # Budgets of the fixed campaigns grow with the scale, so spend stays linear in it.
        Campaign(name, channel, region, currency, started, ended, budget * scale)
        for name, channel, region, currency, started, ended, budget in _FIXED_CAMPAIGNS
    ]
    span = (END - START).days - 20
    for channel, (count, (short, long), (low, high)) in _FLIGHTS.items():
        for _ in range(round(count * scale)):
            started = START + dt.timedelta(days=rng.randrange(span))
            duration = rng.randint(short, long)
            ended = started + dt.timedelta(days=duration - 1)
            region = _pick(rng, CAMPAIGN_REGIONS)
            if region == "north_america" and started < NORTH_AMERICA_LAUNCH:
                region = "dach"
            currency = _region_currency(region)
            if channel in ("paid_search", "paid_social") and currency == "SEK":
                currency = "EUR"  # the ad platforms bill the Nordic accounts in EUR
            campaigns.append(
                Campaign(
                    _campaign_name(rng, channel, region, started),
                    channel,
                    region,
                    currency,
                    started,
                    None if ended > END else ended,
                    rng.uniform(low, high),
                )
            )
    campaigns.sort(key=lambda c: (c.started_on, c.channel, c.name, c.budget_eur))
    for campaign, campaign_id in zip(campaigns, _ids("cmp", len(campaigns)), strict=True):
        campaign.campaign_id = campaign_id
    return campaigns


def _campaign_name(rng: random.Random, channel: str, region: str | None, day: dt.date) -> str:
    where, when = REGION_LABELS[region], day.strftime("%Y-%m")
    if channel == "events":
        return f"Event | {rng.choice(EVENTS)} | {when}"
    if channel == "partner":
        return f"Partner | {rng.choice(PARTNERS)} co-marketing | {where} | {when}"
    label = {"paid_search": "Search", "email": "Email"}.get(channel)
    label = label or rng.choice(("LinkedIn", "Meta"))
    return f"{label} | {rng.choice(THEMES)} | {where} | {when}"


def _ad_spend(rng: random.Random, campaigns: Sequence[Campaign]) -> list[AdSpend]:
    """marketing.ad_spend: one row per campaign and day with spend (search and social daily,
    e-mail on send days, events on event days, partner fees on the first of each month)."""
    rows = []
    for index, campaign in enumerate(campaigns):
        for day, spend_eur, impressions, clicks in _campaign_days(rng, campaign):
            spend = round(spend_eur / APPROX_EUR[campaign.currency], 2)
            rows.append(AdSpend(day, index, spend_eur, spend, impressions, clicks))
    rows.sort(key=lambda row: (campaigns[row.campaign].campaign_id, row.day))
    return rows


def _campaign_days(
    rng: random.Random, campaign: Campaign
) -> Iterator[tuple[dt.date, float, int, int]]:
    channel, budget = campaign.channel, campaign.budget_eur
    if channel in ("paid_search", "paid_social"):
        for day in _days(campaign.started_on, campaign.last_day):
            weekday = 1.0 if day.weekday() < 5 else 0.55
            spend = budget * weekday * _trend(day) * rng.uniform(0.8, 1.2)
            spend *= 0.7 if day.month == 7 else 1.0
            clicks = round(spend / (CPC_EUR[channel] * rng.uniform(0.85, 1.15)))
            impressions = round(clicks / (CTR[channel] * rng.uniform(0.8, 1.2)))
            yield day, spend, impressions, clicks
    elif channel == "email":
        length = ((campaign.ended_on or END) - campaign.started_on).days + 1
        for send in range(3):
            day = campaign.started_on + dt.timedelta(days=send * length // 3)
            if day <= campaign.last_day:
                spend = budget * rng.uniform(0.9, 1.1)
                delivered = round(spend / 0.012)
                yield day, spend, delivered, round(delivered * rng.uniform(0.015, 0.03))
    elif channel == "events":
        days = list(_days(campaign.started_on, campaign.last_day))
        for day in days:
            yield day, budget / len(days) * rng.uniform(0.95, 1.05), 0, 0
    else:  # partner: a monthly co-marketing fee
        for day in _days(campaign.started_on, campaign.last_day):
            if day.day == 1 or day == campaign.started_on:
                yield day, budget * rng.uniform(0.9, 1.1), 0, 0


# --------------------------------------------------------------------------------------------
# crm.leads
# --------------------------------------------------------------------------------------------

# channel: (leads per day at scale 1 without campaign, P(MQL), P(customer | MQL))
LEAD_FUNNEL = {
    "organic": (2.0, 0.35, 0.17),
    "paid_search": (0.06, 0.30, 0.15),  # HARD CASE: paid-search leads whose UTM tags were lost
    "paid_social": (0.0, 0.22, 0.12),
    "email": (0.2, 0.30, 0.14),
    "referral": (0.5, 0.55, 0.27),
    "events": (0.1, 0.40, 0.16),
    "partner": (0.15, 0.50, 0.24),
    "other": (0.2, 0.30, 0.17),
}
SEGMENT_MIX = {
    "organic": (0.62, 0.30, 0.08),
    "paid_search": (0.60, 0.32, 0.08),
    "paid_social": (0.50, 0.38, 0.12),
    "email": (0.58, 0.34, 0.08),
    "referral": (0.45, 0.40, 0.15),
    "events": (0.30, 0.45, 0.25),
    "partner": (0.35, 0.45, 0.20),
    "other": (0.40, 0.40, 0.20),
}
SALES_CYCLE_DAYS = {"smb": (2, 21), "mid_market": (14, 75), "enterprise": (30, 140)}
# How long after its spend day a campaign's leads arrive (days).
LEAD_LAG_DAYS = {"paid_search": 0, "paid_social": 0, "email": 6, "events": 10, "partner": 29}


@dataclass(slots=True)
class Lead:
    created_ts: int
    channel: str
    campaign: int | None
    region: str
    segment: str
    self_serve: bool = False  # an SMB web lead: trial, checkout and purchase on the web
    qualified_ts: int | None = None
    converted_ts: int | None = None
    abandoned_checkout_ts: int | None = None
    customer: Customer | None = None
    lead_id: str = ""


def _random_region(rng: random.Random, day: dt.date) -> str:
    north_america = 0.2 if day >= NORTH_AMERICA_LAUNCH else 0.04
    return _pick(
        rng, (("nordics", 0.4), ("dach", 0.25), ("uk_ie", 0.15), ("north_america", north_america))
    )


def _leads(
    rng: random.Random, scale: float, campaigns: Sequence[Campaign], spend: Sequence[AdSpend]
) -> list[Lead]:
    """crm.leads: spend / cost-per-lead of each campaign day, plus leads without campaign."""
    leads = []
    for row in spend:
        campaign = campaigns[row.campaign]
        for _ in range(_poisson(rng, row.spend_eur / CPL_EUR[campaign.channel])):
            lag = rng.randint(0, LEAD_LAG_DAYS[campaign.channel])
            day = row.day + dt.timedelta(days=lag)
            region = campaign.region or _random_region(rng, day)
            leads.append(_lead(rng, day, campaign.channel, row.campaign, region))
    for day in _days(START, END):
        growth = _trend(day) * SEASON[day.month] * scale
        for channel, (per_day, _, _) in LEAD_FUNNEL.items():
            for _ in range(_poisson(rng, per_day * growth)):
                leads.append(_lead(rng, day, channel, None, _random_region(rng, day)))
    leads = [lead for lead in leads if lead.created_ts < END_TS]
    leads.sort(key=lambda lead: lead.created_ts)  # stable: ties keep their creation order
    for lead, lead_id in zip(leads, _ids("lead", len(leads)), strict=True):
        lead.lead_id = lead_id
        _qualify_and_convert(rng, lead)
    return leads


def _lead(
    rng: random.Random, day: dt.date, channel: str, campaign: int | None, region: str
) -> Lead:
    segment = _pick(rng, tuple(zip(SEGMENTS, SEGMENT_MIX[channel], strict=True)))
    lead = Lead(_ts(day, _time_of_day(rng)), channel, campaign, region, segment)
    lead.self_serve = channel in WEB_CHANNELS and segment == "smb"
    return lead


def _qualify_and_convert(rng: random.Random, lead: Lead) -> None:
    """MQL (for self-serve leads: the trial start), then maybe a customer after a sales cycle."""
    _, p_mql, p_win = LEAD_FUNNEL[lead.channel]
    if rng.random() >= p_mql:
        return
    delay_days = rng.uniform(0.01, 2.0) if lead.self_serve else rng.uniform(0.2, 12.0)
    qualified = lead.created_ts + int(delay_days * DAY)
    if qualified >= END_TS:
        return
    lead.qualified_ts = qualified
    if rng.random() < p_win:
        converted = qualified + int(rng.uniform(*SALES_CYCLE_DAYS[lead.segment]) * DAY)
        if converted < END_TS:
            lead.converted_ts = converted
    elif lead.self_serve and rng.random() < 0.3:
        abandoned = qualified + int(rng.uniform(1, 12) * DAY)
        if abandoned < END_TS:
            lead.abandoned_checkout_ts = abandoned


# --------------------------------------------------------------------------------------------
# crm.customers, billing.subscriptions, billing.invoices
# --------------------------------------------------------------------------------------------

# fmt: off
_NAME_PARTS = {
    "nordics": (("Norrsken", "Fjällvik", "Kvarnberg", "Solbacka", "Ekholm", "Lindqvist",
                 "Björkdal", "Havsörn", "Ängsmark", "Granlund", "Stenbro", "Vindö", "Skogsvik",
                 "Ljungby", "Fyrtorn", "Nordhav", "Åkervall", "Sjöberg"),
                ("Logistik", "Bygg", "Energi", "Fastigheter", "Retail", "Media", "Konsult",
                 "Handel", "Industri", "Transport", "Vård", "Data")),
    "dach": (("Alpenblick", "Bergmann", "Rheinwerk", "Schwarzwald", "Hansen", "Edelweiss",
              "Donau", "Falkenstein", "Lindenhof", "Brückner", "Isar", "Kranich"),
             ("Logistik", "Maschinenbau", "Handel", "Software", "Medien", "Energie", "Versand",
              "Bau", "Finanz", "Pharma")),
    "uk_ie": (("Thames", "Kestrel", "Oakridge", "Pennine", "Liffey", "Shannon", "Cotswold",
               "Ashford", "Brightwater", "Greystone", "Harrow", "Wexford"),
              ("Logistics", "Clinics", "Retail", "Media", "Energy", "Foods", "Partners", "Labs",
               "Freight", "Homes")),
    "north_america": (("Harborview", "Pinecrest", "Redwood", "Summit", "Lakeshore", "Bluebird",
                       "Granite", "Prairie", "Cascade", "Maple", "Ironwood", "Silverline"),
                      ("Freight", "Health", "Labs", "Systems", "Logistics", "Retail", "Energy",
                       "Media", "Capital", "Foods")),
}
_LEGAL_FORMS = {"SE": "AB", "NO": "AS", "DK": "ApS", "FI": "Oy", "DE": "GmbH", "AT": "GmbH",
                "CH": "AG", "GB": "Ltd", "IE": "Ltd", "US": "Inc", "CA": "Corp"}
# fmt: on

MONTHLY_CHURN = {"smb": 0.036, "mid_market": 0.018, "enterprise": 0.009}
RENEWAL_CHURN = {"smb": 0.25, "mid_market": 0.16, "enterprise": 0.1}
P_ANNUAL = {"smb": 0.15, "mid_market": 0.3, "enterprise": 0.55}
TIER_MIX = {
    "smb": (("starter", 0.7), ("pro", 0.3)),
    "mid_market": (("pro", 0.7), ("enterprise", 0.3)),
    "enterprise": (("enterprise", 1.0),),
}
# Seats x (1 - discount) against the list price.
SIZE_RANGE = {"smb": (0.9, 1.3), "mid_market": (0.9, 1.7), "enterprise": (1.1, 2.6)}
# Health: the churn multiplier and the NPS profile of an account.
HEALTH = (("good", 0.5), ("neutral", 0.38), ("poor", 0.12))
HEALTH_CHURN = {"good": 0.5, "neutral": 1.0, "poor": 2.5}
P_EXPAND, P_CONTRACT, P_CROSS_SELL, P_DROP_LINE = 0.011, 0.005, 0.004, 0.004
P_EXPAND_AT_RENEWAL, P_CONTRACT_AT_RENEWAL, P_RETURN = 0.15, 0.06, 0.08
# The customers imported on 2024-09-01: older, larger, mostly European, no campaign.
OPENING_BOOK = {
    "segment": (("smb", 0.5), ("mid_market", 0.35), ("enterprise", 0.15)),
    "channel": (
        ("organic", 0.35),
        ("referral", 0.2),
        ("partner", 0.15),
        ("events", 0.12),
        ("other", 0.18),
    ),
    "region": (("nordics", 0.5), ("dach", 0.3), ("uk_ie", 0.15), ("north_america", 0.05)),
}


@dataclass(slots=True)
class Customer:
    created_ts: int
    company_name: str
    segment: str
    region: str
    country: str
    channel: str
    campaign: int | None = None
    lead: Lead | None = None
    health: str = "neutral"
    scripted: bool = False
    customer_id: str = ""

    @property
    def currency(self) -> str:
        return _country_currency(self.country)


@dataclass(slots=True)
class Subscription:
    customer: Customer
    line: str
    tier: str
    interval: str
    size: float
    started_ts: int
    anchor_ts: int  # invoices are issued at anchor + k x interval
    mrr: float
    ended_ts: int | None = None
    churned: bool = False  # ended because the customer left
    subscription_id: str = ""

    @property
    def months(self) -> int:
        return 1 if self.interval == "month" else 12

    @property
    def plan_id(self) -> str:
        return _plan_id(self.line, self.tier, self.interval)

    def _period(self, after: int) -> int:
        """The smallest k whose billing instant anchor + k x interval is after `after`."""
        k = max(0, _month_index(_date_of(after)) - _month_index(_date_of(self.anchor_ts)) - 1)
        k //= self.months
        while _add_months_ts(self.anchor_ts, k * self.months) <= after:
            k += 1
        return k

    def next_anchor(self, after: int) -> int:
        """The first billing instant strictly after `after` (and after the start)."""
        k = self._period(max(after, self.started_ts))
        return _add_months_ts(self.anchor_ts, k * self.months)

    def issue_dates(self) -> list[int]:
        """The billing instants from the start until the end (or the end of the data)."""
        stop, dates, k = min(self.ended_ts or END_TS, END_TS), [], 0
        while (issued := _add_months_ts(self.anchor_ts, k * self.months)) < stop:
            if issued >= self.started_ts:
                dates.append(issued)
            k += 1
        return dates

    def last_anchor(self, at: int) -> int:
        """The latest billing instant at or before `at` (the start of the current period)."""
        k = self._period(at)
        if k == 0:
            return self.started_ts
        return max(self.started_ts, _add_months_ts(self.anchor_ts, (k - 1) * self.months))


@dataclass(slots=True)
class Invoice:
    issued_ts: int
    customer: Customer
    subscription: Subscription | None
    line: str
    amount: float
    status: str
    invoice_id: str = ""


@dataclass
class Book:
    """Everything billing knows, filled by the customer simulation."""

    customers: list[Customer] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)  # credit notes and one-off invoices

    def subscribe(
        self,
        customer: Customer,
        line: str,
        tier: str,
        interval: str,
        size: float,
        started: int,
        anchor: int | None = None,
        mrr: float | None = None,
    ) -> Subscription:
        if mrr is None:
            mrr = _mrr(line, tier, interval, size, customer.currency)
        anchor = started if anchor is None else anchor
        subscription = Subscription(customer, line, tier, interval, size, started, anchor, mrr)
        self.subscriptions.append(subscription)
        return subscription

    def change(
        self, old: Subscription, at: int, tier: str, size: float, credit: bool
    ) -> Subscription:
        """End `old` at `at` and start its successor at the same instant (expansion or
        contraction); with `credit`, refund the unused part of the current period."""
        old.ended_ts = at
        if credit and old.interval == "month":
            # HARD CASE: a proration credit note (negative amount, status paid).
            period_start, period_end = old.last_anchor(at), old.next_anchor(at)
            unused = (period_end - at) / (period_end - period_start)
            if unused * old.mrr >= 1:
                self.invoices.append(
                    Invoice(at, old.customer, old, old.line, -round(old.mrr * unused, 2), "paid")
                )
        return self.subscribe(old.customer, old.line, tier, old.interval, size, at)


def _company_name(rng: random.Random, region: str, country: str) -> str:
    stems, trades = _NAME_PARTS[region]
    return f"{rng.choice(stems)} {rng.choice(trades)} {_LEGAL_FORMS[country]}"


def _new_customer(
    rng: random.Random,
    created: int,
    segment: str,
    region: str,
    channel: str,
    campaign: int | None = None,
    lead: Lead | None = None,
) -> Customer:
    country = _pick(rng, COUNTRIES[region])
    return Customer(
        created,
        _company_name(rng, region, country),
        segment,
        region,
        country,
        channel,
        campaign,
        lead,
        _pick(rng, HEALTH),
    )


def _first_subscriptions(
    rng: random.Random, book: Book, customer: Customer, started: int
) -> list[Subscription]:
    line = _pick(rng, (("analytics", 0.62), ("automation", 0.38)))
    tier = _pick(rng, TIER_MIX[customer.segment])
    interval = "year" if rng.random() < P_ANNUAL[customer.segment] else "month"
    size = rng.uniform(*SIZE_RANGE[customer.segment])
    subscriptions = [book.subscribe(customer, line, tier, interval, size, started)]
    if rng.random() < 0.08:  # both product lines from day one
        other = PRODUCT_LINES[1 - PRODUCT_LINES.index(line)]
        subscriptions.append(
            book.subscribe(
                customer, other, "starter" if tier == "starter" else "pro", interval, size, started
            )
        )
    return subscriptions


def _scripted_customers(book: Book) -> list[Customer]:
    """Opening-book customers that carry the billing hard cases, whatever the seed and scale."""
    t0 = START_TS
    scripted = [
        Customer(t0, "Lindqvist Bygg AB", "smb", "nordics", "SE", "referral", health="poor"),
        Customer(t0, "Alpenblick Logistik GmbH", "mid_market", "dach", "DE", "partner"),
        Customer(t0, "Harborview Freight Inc", "mid_market", "north_america", "US", "events"),
        Customer(t0, "Thames Valley Clinics Ltd", "mid_market", "uk_ie", "GB", "organic"),
        Customer(
            t0, "Kvarnberg Energi AB", "enterprise", "nordics", "SE", "partner", health="good"
        ),
        Customer(t0, "Fjordline Retail AS", "smb", "nordics", "NO", "organic"),
    ]
    churner, tie, upgrader, downgrader, annual, voided = scripted
    for customer in scripted:
        customer.scripted = True
    # HARD CASE: churn and return. All subscriptions end on 2025-03-01; a new one starts
    # 2025-10-14, seven months later.
    first = book.subscribe(churner, "analytics", "starter", "month", 1.0, t0)
    first.ended_ts, first.churned = _ts(dt.date(2025, 3, 1)), True
    book.subscribe(churner, "analytics", "pro", "month", 1.0, _ts(dt.date(2025, 10, 14), 34200))
    # HARD CASE: two simultaneous subscriptions on different plans with equal MRR (a tie).
    book.subscribe(tie, "analytics", "pro", "month", 2.0, t0, mrr=1490.0)
    book.subscribe(tie, "automation", "pro", "month", 1.5, t0, mrr=1490.0)
    # HARD CASE: expansion in USD: pro -> enterprise mid-period, at the same instant, with a
    # proration credit note for the rest of the period.
    pro = book.subscribe(upgrader, "analytics", "pro", "month", 1.6, t0)
    book.change(pro, _ts(dt.date(2025, 6, 16), 36000), "enterprise", 1.6, credit=True)
    # HARD CASE: contraction at the billing date: enterprise -> pro.
    enterprise = book.subscribe(downgrader, "automation", "enterprise", "month", 1.2, t0)
    book.change(enterprise, _ts(dt.date(2025, 9, 1)), "pro", 1.2, credit=False)
    # HARD CASE: an annual plan in SEK (invoiced 12 x mrr each 1 September), and a service
    # credit note without subscription.
    book.subscribe(annual, "analytics", "enterprise", "year", 2.5, t0)
    book.invoices.append(
        Invoice(_ts(dt.date(2025, 5, 20), 50400), annual, None, "analytics", -5000.0, "paid")
    )
    # The void invoice of `voided` is made in _subscription_invoices.
    book.subscribe(voided, "automation", "starter", "month", 1.0, t0)
    return scripted


# A new customer, the start of its first subscriptions and, for annual plans of the opening
# book, the renewal date kept from the old billing system.
Start = tuple[Customer, int, int | None]


def _customers_and_billing(
    rng: random.Random, life: random.Random, scale: float, leads: Sequence[Lead]
) -> Book:
    """crm.customers and their subscriptions: the opening book, converted leads, outbound
    deals; then each customer's life (churn, expansion, contraction, cross-sell, return)."""
    book = Book()
    book.customers.extend(_scripted_customers(book))
    starts = _opening_book(rng, scale) + _converted_leads(rng, leads) + _outbound(rng, scale)
    book.customers.extend(customer for customer, _, _ in starts)
    for customer, started, renewal in starts:
        # HARD CASE: a customer signed in the last days may have no subscription yet.
        if started < END_TS:
            subscriptions = _first_subscriptions(rng, book, customer, started)
            if renewal is not None and subscriptions[0].interval == "year":
                for subscription in subscriptions:
                    subscription.anchor_ts = renewal
            _simulate_life(life, book, customer, subscriptions)
    return book


def _opening_book(rng: random.Random, scale: float) -> list[Start]:
    """The customers imported on 2024-09-01 (no lead, no campaign)."""
    starts = []
    for _ in range(round(225 * scale)):
        segment = _pick(rng, OPENING_BOOK["segment"])
        channel = _pick(rng, OPENING_BOOK["channel"])
        region = _pick(rng, OPENING_BOOK["region"])
        customer = _new_customer(rng, START_TS, segment, region, channel)
        renewal = _ts(START + dt.timedelta(days=rng.randrange(365)))
        starts.append((customer, START_TS, renewal))
    return starts


def _converted_leads(rng: random.Random, leads: Sequence[Lead]) -> list[Start]:
    """Converted leads become customers with the lead's channel and campaign."""
    starts = []
    for lead in leads:
        if lead.converted_ts is not None:
            lead.customer = _new_customer(
                rng, lead.converted_ts, lead.segment, lead.region, lead.channel, lead.campaign, lead
            )
            starts.append((lead.customer, _contract_start(rng, lead.customer), None))
    return starts


def _outbound(rng: random.Random, scale: float) -> list[Start]:
    """Outbound deals of the sales team: larger customers without lead, channel "other"."""
    starts = []
    for month in range(N_MONTHS):
        for _ in range(_poisson(rng, 0.35 * scale)):
            created = _ts(_weekday_in_month(rng, month), _time_of_day(rng))
            segment = _pick(rng, (("mid_market", 0.5), ("enterprise", 0.5)))
            region = _random_region(rng, _date_of(created))
            customer = _new_customer(rng, created, segment, region, "other")
            starts.append((customer, _contract_start(rng, customer), None))
    return starts


def _contract_start(rng: random.Random, customer: Customer) -> int:
    """SMB start at once (self-serve); larger deals on a contract date a few days later."""
    if customer.segment == "smb":
        return customer.created_ts
    return _ts(_date_of(customer.created_ts) + dt.timedelta(days=rng.randint(1, 14)))


def _simulate_life(
    rng: random.Random, book: Book, customer: Customer, active: list[Subscription]
) -> None:
    """Month by month after the first: churn, expansion, contraction, cross-sell, return."""
    return_at: int | None = None
    started = active[0].started_ts
    # The opening book lives from the first month; new customers from the month after.
    first_month = 0 if started == START_TS else _month_index(_date_of(started)) + 1
    for month in range(first_month, N_MONTHS):
        month_start, month_end = _month_bounds(month)
        if not active:
            if return_at is not None and month_start <= return_at < month_end:
                # HARD CASE: a churned customer comes back with a new monthly subscription.
                tier = "starter" if customer.segment == "smb" else "pro"
                size = rng.uniform(*SIZE_RANGE[customer.segment])
                active.append(
                    book.subscribe(
                        customer, rng.choice(PRODUCT_LINES), tier, "month", size, return_at
                    )
                )
                return_at = None
            continue
        if active[0].interval == "month":
            churned_at = _monthly_decision(rng, book, customer, active, month_start, month_end)
        else:
            churned_at = _renewal_decisions(rng, book, customer, active, month_start, month_end)
        if churned_at is not None and rng.random() < P_RETURN:
            return_at = churned_at + int(rng.uniform(90, 300) * DAY)


def _monthly_decision(
    rng: random.Random,
    book: Book,
    customer: Customer,
    active: list[Subscription],
    month_start: int,
    month_end: int,
) -> int | None:
    """One draw a month for a monthly-billed customer; the churn instant if it left."""
    draw = rng.random()
    instant = month_start + rng.randrange(month_end - month_start)
    subscription = rng.choice(active)
    churn = MONTHLY_CHURN[customer.segment] * HEALTH_CHURN[customer.health]
    if draw < churn:  # cancels: every subscription ends at the end of its paid period
        ends = [(s, s.next_anchor(instant)) for s in active]
        if any(end >= END_TS for _, end in ends):
            return None  # the cancellation takes effect after the end of the data
        for ended, end in ends:
            ended.ended_ts, ended.churned = end, True
        active.clear()
        return max(end for _, end in ends)
    draw -= churn
    if draw < P_EXPAND:  # upgrade at once, with a proration credit
        at = max(instant, subscription.started_ts + DAY)
        if at < month_end:
            tier, size = _upgrade(rng, subscription)
            active[active.index(subscription)] = book.change(subscription, at, tier, size, True)
    elif draw < P_EXPAND + P_CONTRACT:  # downgrade at the next billing date
        at = subscription.next_anchor(instant)
        if at < END_TS:
            tier, size = _downgrade(rng, subscription)
            active[active.index(subscription)] = book.change(subscription, at, tier, size, False)
    elif draw < P_EXPAND + P_CONTRACT + P_CROSS_SELL and len(active) == 1:
        other = PRODUCT_LINES[1 - PRODUCT_LINES.index(subscription.line)]
        tier = "pro" if subscription.tier == "enterprise" else subscription.tier
        at = max(instant, subscription.started_ts + DAY)
        if at < month_end:
            active.append(book.subscribe(customer, other, tier, "month", subscription.size, at))
    elif draw < P_EXPAND + P_CONTRACT + P_CROSS_SELL + P_DROP_LINE and len(active) > 1:
        at = subscription.next_anchor(instant)
        if at < END_TS:
            subscription.ended_ts = at
            active.remove(subscription)
    return None


def _renewal_decisions(
    rng: random.Random,
    book: Book,
    customer: Customer,
    active: list[Subscription],
    month_start: int,
    month_end: int,
) -> int | None:
    """Annual plans change only at renewal; the churn instant if the customer left."""
    for subscription in list(active):
        renewal = subscription.next_anchor(month_start - 1)
        if not (month_start <= renewal < month_end) or renewal <= subscription.started_ts:
            continue
        draw = rng.random()
        churn = RENEWAL_CHURN[customer.segment] * HEALTH_CHURN[customer.health]
        if draw < churn:
            subscription.ended_ts, subscription.churned = renewal, True
            active.remove(subscription)
            if not active:
                return renewal
        elif draw < churn + P_EXPAND_AT_RENEWAL:
            tier, size = _upgrade(rng, subscription)
            active[active.index(subscription)] = book.change(
                subscription, renewal, tier, size, False
            )
        elif draw < churn + P_EXPAND_AT_RENEWAL + P_CONTRACT_AT_RENEWAL:
            tier, size = _downgrade(rng, subscription)
            active[active.index(subscription)] = book.change(
                subscription, renewal, tier, size, False
            )
    return None


def _upgrade(rng: random.Random, subscription: Subscription) -> tuple[str, float]:
    index = TIERS.index(subscription.tier)
    if index < len(TIERS) - 1 and rng.random() < 0.5:
        return TIERS[index + 1], subscription.size
    return subscription.tier, subscription.size * rng.uniform(1.2, 1.5)  # more seats


def _downgrade(rng: random.Random, subscription: Subscription) -> tuple[str, float]:
    index = TIERS.index(subscription.tier)
    if index > 0 and rng.random() < 0.6:
        return TIERS[index - 1], subscription.size
    return subscription.tier, subscription.size * rng.uniform(0.6, 0.85)  # fewer seats


def _invoice_status(rng: random.Random, issued: int, annual: bool) -> str:
    """Recent invoices are often still open; a few old ones are overdue or written off."""
    if END_TS - issued < (45 if annual else 30) * DAY:
        return "open" if rng.random() < 0.6 else "paid"
    draw = rng.random()
    return "open" if draw < 0.003 else "uncollectible" if draw < 0.005 else "paid"


def _subscription_invoices(rng: random.Random, book: Book) -> list[Invoice]:
    """billing.invoices: each period of each subscription (annual: 12 x mrr), one-off
    onboarding fees, and the void, credit and uncollectible cases."""
    invoices = list(book.invoices)
    for subscription in book.subscriptions:
        customer, annual = subscription.customer, subscription.interval == "year"
        amount = round(subscription.mrr * subscription.months, 2)
        issue_dates = subscription.issue_dates()
        for number, issued in enumerate(issue_dates):
            status = _invoice_status(rng, issued, annual)
            invoice = Invoice(issued, customer, subscription, subscription.line, amount, status)
            invoices.append(invoice)
            if customer.scripted:
                # HARD CASE: a void invoice (wrong amount), reissued the next day.
                if customer.company_name == "Fjordline Retail AS" and number == 4:
                    invoices.append(_void_and_reissue(rng, invoice, DAY + 28800))
                continue
            if subscription.churned and number == len(issue_dates) - 1:
                if customer.segment == "smb" and rng.random() < 0.35:
                    invoice.status = "uncollectible"  # the card failed, the customer left
            elif rng.random() < 0.007:
                # HARD CASE: void and reissue (wrong VAT number, wrong address, ...).
                invoices.append(_void_and_reissue(rng, invoice, rng.randint(1, 3) * DAY))
            if not annual and rng.random() < 0.004:
                invoices += _service_credit(rng, invoice)
    invoices += _onboarding_fees(rng, book)
    return invoices


def _service_credit(rng: random.Random, invoice: Invoice) -> list[Invoice]:
    """HARD CASE: a service credit note (negative, paid), on the subscription or on none."""
    credited = invoice.issued_ts + rng.randint(3, 20) * DAY
    if credited >= END_TS:
        return []
    linked = invoice.subscription if rng.random() < 0.7 else None
    credit = -round(invoice.amount * rng.uniform(0.1, 0.5), 2)
    return [Invoice(credited, invoice.customer, linked, invoice.line, credit, "paid")]


def _void_and_reissue(rng: random.Random, invoice: Invoice, delay: int) -> Invoice:
    """Void `invoice` and return its replacement (same amount, issued `delay` s later)."""
    invoice.status = "void"
    issued = min(invoice.issued_ts + delay, END_TS - 1)
    annual = invoice.subscription is not None and invoice.subscription.interval == "year"
    return Invoice(
        issued,
        invoice.customer,
        invoice.subscription,
        invoice.line,
        invoice.amount,
        _invoice_status(rng, issued, annual),
    )


def _onboarding_fees(rng: random.Random, book: Book) -> list[Invoice]:
    """One-off implementation fees of larger new customers (no subscription_id)."""
    fees = []
    first_by_customer: dict[int, Subscription] = {}
    for subscription in book.subscriptions:
        first_by_customer.setdefault(id(subscription.customer), subscription)
    for customer in book.customers:
        first = first_by_customer.get(id(customer))
        if first is None or customer.lead is None or customer.segment == "smb":
            continue
        if rng.random() < (0.5 if customer.segment == "mid_market" else 0.9):
            low, high = (1500, 4000) if customer.segment == "mid_market" else (5000, 15000)
            amount = round(rng.uniform(low, high) * PRICE_BOOK[customer.currency], -1)
            issued = min(first.started_ts + rng.randint(0, 2) * DAY, END_TS - 1)
            fees.append(
                Invoice(
                    issued, customer, None, first.line, amount, _invoice_status(rng, issued, False)
                )
            )
    return fees


def _number_billing(book: Book) -> None:
    """Ids in time order (stable sorts: ties keep their deterministic creation order)."""
    book.customers.sort(key=lambda customer: customer.created_ts)
    for customer, customer_id in zip(book.customers, _ids("cus", len(book.customers)), strict=True):
        customer.customer_id = customer_id
    book.subscriptions.sort(key=lambda s: (s.started_ts, s.customer.customer_id))
    subscription_ids = _ids("sub", len(book.subscriptions))
    for subscription, subscription_id in zip(book.subscriptions, subscription_ids, strict=True):
        subscription.subscription_id = subscription_id
    book.invoices.sort(key=lambda i: (i.issued_ts, i.customer.customer_id, _sub_id(i)))
    for invoice, invoice_id in zip(book.invoices, _ids("inv", len(book.invoices)), strict=True):
        invoice.invoice_id = invoice_id


def _sub_id(invoice: Invoice) -> str:
    return invoice.subscription.subscription_id if invoice.subscription else ""


# --------------------------------------------------------------------------------------------
# crm.nps_responses
# --------------------------------------------------------------------------------------------

NPS_PROFILES = {
    "good": {6: 2, 7: 6, 8: 17, 9: 35, 10: 40},
    "neutral": {4: 2, 5: 4, 6: 8, 7: 22, 8: 30, 9: 22, 10: 12},
    "poor": {0: 4, 1: 4, 2: 6, 3: 10, 4: 14, 5: 16, 6: 18, 7: 14, 8: 8, 9: 4, 10: 2},
}
# fmt: off
RELATIONSHIP_SURVEYS = (dt.date(2024, 11, 11), dt.date(2025, 3, 10), dt.date(2025, 9, 8),
                        dt.date(2026, 3, 9), dt.date(2026, 9, 7))
# fmt: on


def _nps_responses(rng: random.Random, book: Book) -> list[tuple[object, ...]]:
    """crm.nps_responses from active customers: after purchase, after support tickets and in
    the twice-yearly relationship survey. Healthy accounts promote, poor ones detract."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for subscription in book.subscriptions:
        spans.setdefault(id(subscription.customer), []).append(
            (subscription.started_ts, subscription.ended_ts or END_TS)
        )
    answers = []
    for customer in book.customers:
        if id(customer) in spans:
            answers += _customer_nps(rng, customer, spans[id(customer)])
    answers.sort()
    return [
        (response_id, customer_id, _fmt_ts(at), score, touchpoint)
        for (at, customer_id, score, touchpoint), response_id in zip(
            answers, _ids("nps", len(answers)), strict=True
        )
    ]


def _customer_nps(
    rng: random.Random, customer: Customer, spans: Sequence[tuple[int, int]]
) -> list[tuple[int, str, int, str]]:
    asked = []
    if rng.random() < 0.35:
        asked.append((min(spans)[0] + int(rng.uniform(14, 40) * DAY), "post_purchase"))
    for survey in RELATIONSHIP_SURVEYS:
        if rng.random() < 0.25:
            asked.append((_ts(survey, 25200) + int(rng.uniform(0, 10) * DAY), "relationship"))
    for month in range(N_MONTHS):
        if rng.random() < 0.04:
            month_start, month_end = _month_bounds(month)
            asked.append((month_start + rng.randrange(month_end - month_start), "post_support"))
    return [
        (at, customer.customer_id, _nps_score(rng, customer, touchpoint), touchpoint)
        for at, touchpoint in asked
        if at < END_TS and any(start <= at < end for start, end in spans)
    ]


def _nps_score(rng: random.Random, customer: Customer, touchpoint: str) -> int:
    profile = NPS_PROFILES[customer.health]
    score = _pick(rng, tuple(profile.items()))
    if touchpoint == "post_support" and rng.random() < 0.3:
        score -= 1  # a support case leaves a mark
    return max(0, min(10, score))


# --------------------------------------------------------------------------------------------
# hr.employees, hr.payroll, hr.engagement_responses
# --------------------------------------------------------------------------------------------

# department: (headcount at the start, at the end, full-time monthly salary in SEK)
DEPARTMENT_PLAN = {
    "sales": (9, 13, 52000),
    "marketing": (5, 7, 50000),
    "engineering": (12, 18, 61000),
    "product": (3, 5, 63000),
    "customer_success": (5, 8, 46000),
    "support": (4, 6, 38000),
    "finance": (2, 3, 54000),
    "people": (2, 2, 50000),
    "operations": (2, 3, 47000),
    "management": (4, 4, 115000),
}
PRODUCT_LINE_DEPARTMENTS = ("engineering", "product", "customer_success")
EMPLOYER_COST_RATE = {"SEK": 0.3592, "EUR": 0.21, "USD": 0.1565}  # social charges + pension
MONTHLY_ATTRITION = 0.011
# fmt: off
SURVEY_DATES = (dt.date(2024, 10, 15), dt.date(2025, 4, 15), dt.date(2025, 10, 15),
                dt.date(2026, 4, 15), dt.date(2026, 10, 15))
QUESTIONS = (
    ("leadership", "q01_leadership_trust"), ("leadership", "q02_leadership_clarity"),
    ("growth", "q03_growth_learning"), ("growth", "q04_growth_career"),
    ("culture", "q05_culture_belonging"), ("culture", "q06_culture_feedback"),
    ("wellbeing", "q07_wellbeing_workload"), ("wellbeing", "q08_wellbeing_balance"),
    ("alignment", "q09_alignment_strategy"), ("alignment", "q10_alignment_goals"),
)
DIMENSION_OFFSET = {"leadership": 0.0, "growth": -0.25, "culture": 0.2, "wellbeing": -0.15,
                    "alignment": 0.05}
DEPARTMENT_OFFSET = {"support": -0.25, "sales": -0.1, "engineering": 0.1, "product": 0.15,
                     "management": 0.3}
# fmt: on


@dataclass(slots=True)
class Employee:
    department: str
    product_line: str | None
    hired_on: dt.date
    fte: float
    currency: str
    salary: float  # full-time monthly gross in `currency`, before the April revisions
    terminated_on: dt.date | None = None
    scripted: bool = False
    employee_id: str = ""

    def active_on(self, day: dt.date) -> bool:
        return self.hired_on <= day and (self.terminated_on is None or day <= self.terminated_on)


def _employee(rng: random.Random, department: str, hired_on: dt.date) -> Employee:
    line = None
    if department in PRODUCT_LINE_DEPARTMENTS:
        line = _pick(rng, (("analytics", 0.6), ("automation", 0.4)))
    fte = 1.0
    if department != "management":
        part_time = 0.16 if department in ("support", "people", "finance", "marketing") else 0.05
        if rng.random() < part_time:
            fte = 0.5 if rng.random() < 0.35 else 0.8
    currency = "SEK"
    if department == "sales" and rng.random() < 0.15:
        currency = "USD"  # account executives in North America
    elif department == "customer_success" and rng.random() < 0.15:
        currency = "EUR"  # customer success managers in DACH
    base = DEPARTMENT_PLAN[department][2] * rng.uniform(0.85, 1.2)
    salary = {
        "SEK": round(base, -2),
        "EUR": round(base / 11.4 * 1.15, -1),
        "USD": round(base / 10.5 * 1.35, -1),
    }[currency]
    return Employee(department, line, hired_on, fte, currency, salary)


def _hire_date(rng: random.Random, month: int) -> dt.date:
    """Half the hires start on the first weekday of the month, the others mid-month."""
    if rng.random() < 0.5:
        day = _month_start(month)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        return day
    return _weekday_in_month(rng, month)


def _employees(rng: random.Random, scale: float) -> list[Employee]:
    """hr.employees: the team of 2024-09 grows towards the end-of-window plan, with monthly
    attrition and replacement; management stays four people at every scale."""
    staff = []
    for department, (start, _, _) in DEPARTMENT_PLAN.items():
        count = start if department == "management" else max(1, round(start * scale))
        for _ in range(count):
            hired = dt.date(2017, 1, 2) + dt.timedelta(days=rng.randrange(2780))
            staff.append(
                _employee(rng, department, hired.replace(day=1) if rng.random() < 0.55 else hired)
            )
    staff += _scripted_employees()
    for month in range(N_MONTHS):
        month_first = _month_start(month)
        month_last = min(_add_months(month_first, 1) - dt.timedelta(days=1), END)
        for employee in staff:
            if (
                employee.terminated_on is None
                and not employee.scripted
                and employee.department != "management"
                and employee.hired_on < month_first
                and rng.random() < MONTHLY_ATTRITION
            ):
                employee.terminated_on = _weekday_in_month(rng, month)  # leaves mid-month
        for department, (start, end, _) in DEPARTMENT_PLAN.items():
            target = start + (end - start) * month / (N_MONTHS - 1)
            target = target if department == "management" else max(1, round(target * scale))
            present = sum(
                1 for e in staff if e.department == department and e.active_on(month_last)
            )
            for _ in range(round(target) - present):
                staff.append(_employee(rng, department, _hire_date(rng, month)))
    staff.sort(key=lambda employee: employee.hired_on)  # stable: ties keep creation order
    for employee, employee_id in zip(staff, _ids("emp", len(staff)), strict=True):
        employee.employee_id = employee_id
    return staff


def _scripted_employees() -> list[Employee]:
    scripted = [
        # HARD CASE: a mid-month hire (a Monday, the 17th).
        Employee("engineering", "analytics", dt.date(2025, 3, 17), 1.0, "SEK", 64000.0),
        # HARD CASE: a part-time (0.8) leaver, last day worked mid-month.
        Employee(
            "marketing",
            None,
            dt.date(2022, 5, 2),
            0.8,
            "SEK",
            49000.0,
            terminated_on=dt.date(2025, 11, 14),
        ),
        # HARD CASE: a half-time (0.5) support agent hired mid-month.
        Employee("support", None, dt.date(2025, 6, 9), 0.5, "SEK", 37000.0),
    ]
    for employee in scripted:
        employee.scripted = True
    return scripted


def _payroll(rng: random.Random, staff: Sequence[Employee]) -> list[tuple[object, ...]]:
    """hr.payroll: one row per employee and month worked (prorated for partial months),
    through October 2026; salaries rise 3 % every April; sales earn commission."""
    rows = []
    last = _month_index(LAST_PAYROLL_MONTH)
    for employee in staff:
        for month in range(last + 1):
            first = _month_start(month)
            month_last = _add_months(first, 1) - dt.timedelta(days=1)
            start = max(first, employee.hired_on)
            end = min(month_last, employee.terminated_on or month_last)
            if end < start:
                continue
            worked = ((end - start).days + 1) / month_last.day
            revisions = sum(1 for year in (2025, 2026) if first >= dt.date(year, 4, 1))
            gross = employee.salary * employee.fte * worked * 1.03**revisions
            if employee.department == "sales":
                gross *= 1 + rng.uniform(0.0, 0.3)
            gross = round(gross, 2)
            employer = round(gross * EMPLOYER_COST_RATE[employee.currency], 2)
            rows.append(
                (
                    employee.employee_id,
                    first.isoformat(),
                    _money(gross),
                    _money(employer),
                    employee.currency,
                )
            )
    return sorted(rows)


def _engagement(rng: random.Random, staff: Sequence[Employee]) -> list[tuple[object, ...]]:
    """hr.engagement_responses: each wave, most active employees answer ten questions under
    a fresh anonymous token.

    HARD CASE: management (four people at every scale) and other small departments are groups
    of fewer than five respondents, to be suppressed.
    """
    answers = []
    for survey_date in SURVEY_DATES:
        survey_id = f"eng_{survey_date:%Y_%m}"
        tokens: set[str] = set()  # only to keep tokens unique; never iterated
        mood = rng.gauss(0, 0.1)
        for employee in staff:
            if not employee.active_on(survey_date):
                continue
            if employee.department != "management" and rng.random() > 0.82:
                continue
            while (token := f"r{rng.getrandbits(40):010x}") in tokens:
                pass
            tokens.add(token)
            base = 3.9 + mood + DEPARTMENT_OFFSET.get(employee.department, 0.0)
            base += rng.gauss(0, 0.5)
            for dimension, question in QUESTIONS:
                if rng.random() < 0.03:
                    continue  # skipped question
                score = round(base + DIMENSION_OFFSET[dimension] + rng.gauss(0, 0.7))
                answers.append(
                    (
                        survey_date.isoformat(),
                        token,
                        question,
                        survey_id,
                        employee.department,
                        dimension,
                        max(1, min(5, score)),
                    )
                )
    answers.sort()
    return [
        (response_id, survey_id, day, token, department, dimension, question, score)
        for (day, token, question, survey_id, department, dimension, score), response_id in zip(
            answers, _ids("er", len(answers)), strict=True
        )
    ]


# --------------------------------------------------------------------------------------------
# marketing.expenses and marketing.market_sizes
# --------------------------------------------------------------------------------------------

# (department, category, currency, amount range in that currency, per month at scale 1)
RECURRING_EXPENSES = (
    ("marketing", "software", "USD", (2300.0, 2500.0)),  # marketing automation
    ("sales", "software", "USD", (3000.0, 3200.0)),  # CRM seats
    ("marketing", "agency", "EUR", (5200.0, 5800.0)),  # performance agency retainer
    ("sales", "software", "SEK", (17000.0, 19000.0)),  # sales engagement tool
)
VARIABLE_EXPENSES = (
    ("sales", "travel", "SEK", (8000.0, 45000.0), 4.0),
    ("marketing", "travel", "EUR", (800.0, 6000.0), 1.0),
    ("marketing", "content", "SEK", (15000.0, 60000.0), 1.5),
    ("sales", "training", "SEK", (5000.0, 25000.0), 0.5),
    ("sales", "customer_events", "SEK", (10000.0, 40000.0), 0.7),
    ("marketing", "market_research", "EUR", (2000.0, 9000.0), 0.25),
)


def _expenses(rng: random.Random, scale: float) -> list[tuple[object, ...]]:
    """marketing.expenses: S&M costs that are neither ad spend nor payroll."""
    rows = []
    for month in range(N_MONTHS):
        for department, category, currency, (low, high) in RECURRING_EXPENSES:
            for _ in range(max(1, round(scale))):
                rows.append(
                    (
                        _weekday_in_month(rng, month),
                        department,
                        category,
                        rng.uniform(low, high),
                        currency,
                    )
                )
        for department, category, currency, (low, high), per_month in VARIABLE_EXPENSES:
            for _ in range(_poisson(rng, per_month * scale)):
                rows.append(
                    (
                        _weekday_in_month(rng, month),
                        department,
                        category,
                        rng.uniform(low, high),
                        currency,
                    )
                )
    # HARD CASE: a refund (negative expense) for a cancelled trade-show trip.
    rows.append((dt.date(2025, 5, 12), "sales", "travel", -12400.0, "SEK"))
    rows.sort(key=lambda row: (row[0], row[1], row[2], row[3]))
    return [
        (expense_id, day.isoformat(), department, category, _money(amount), currency)
        for (day, department, category, amount, currency), expense_id in zip(
            rows, _ids("exp", len(rows)), strict=True
        )
    ]


# Quarterly market revenue in EUR at the start of the window (scale 1).
# fmt: off
MARKET_EUR = {
    ("nordics", "analytics"): 9.0e6, ("nordics", "automation"): 6.0e6,
    ("dach", "analytics"): 25.0e6, ("dach", "automation"): 18.0e6,
    ("uk_ie", "analytics"): 14.0e6, ("uk_ie", "automation"): 10.0e6,
    ("north_america", "analytics"): 160.0e6, ("north_america", "automation"): 120.0e6,
}
# fmt: on


def _market_sizes(rng: random.Random, scale: float) -> list[tuple[object, ...]]:
    """marketing.market_sizes.

    HARD CASE: two grains. A Nordic research firm publishes calendar quarters (2024-Q4 to
    2026-Q3) in local currency; a global analyst publishes September-August fiscal years in
    USD. No quarter starts on 1 September, so each period_start has a single period_end.
    Figures scale with the company so that market shares stay plausible at any scale.
    """
    rows = []
    quarter_currency = {"nordics": "SEK", "dach": "EUR", "uk_ie": "EUR", "north_america": "USD"}
    for quarter in range(8):
        first = _add_months(dt.date(2024, 10, 1), 3 * quarter)
        last = _add_months(first, 3) - dt.timedelta(days=1)
        for (region, line), eur in MARKET_EUR.items():
            currency = quarter_currency[region]
            value = eur * scale * 1.025**quarter * rng.uniform(0.97, 1.03) / APPROX_EUR[currency]
            rows.append(
                (
                    first,
                    last,
                    region,
                    line,
                    round(value, -3),
                    currency,
                    "nordic_saas_monitor_quarterly",
                )
            )
    for year in range(2):
        first = dt.date(2024 + year, 9, 1)
        last = dt.date(2025 + year, 8, 31)
        for (region, line), eur in MARKET_EUR.items():
            value = 4 * eur * scale * 1.1**year * rng.uniform(0.95, 1.05) / APPROX_EUR["USD"]
            rows.append(
                (first, last, region, line, round(value, -4), "USD", "global_analyst_fiscal_year")
            )
    rows.sort()
    return [
        (first.isoformat(), last.isoformat(), region, line, _money(value), currency, source)
        for first, last, region, line, value, currency, source in rows
    ]


# --------------------------------------------------------------------------------------------
# marketing.web_events (streamed month by month into Parquet)
# --------------------------------------------------------------------------------------------

# Anonymous visitors per day at scale 1 for the channels without click data.
BASE_VISITORS = {"organic": 50.0, "referral": 6.0, "other": 4.0, "partner": 3.0}
TRACKED_CLICK_SHARE = (0.35, 0.5)  # clicks that accept the consent banner
P_RETURN_VISIT = 0.12
P_OUT_OF_ORDER = 0.02


# A session: (start, visitor kind, reference, steps, channel, campaign_id). The kind says what
# the reference is: a new anonymous visitor (none), a lead (its index in the lead list; the
# visitor number is given at its first session) or a known visitor number. Steps are None for
# page-view-only visits: they are drawn when the session is written, to keep memory small.
NEW_VISITOR, LEAD_VISITOR, KNOWN_VISITOR = 0, 1, 2
Steps = list[tuple[int, str]]  # (timestamp, event_name)
Session = tuple[int, int, int, Steps | None, str, str | None]


def _lead_trail(
    rng: random.Random,
    index: int,
    lead: Lead,
    campaigns: Sequence[Campaign],
    sessions: list[list[Session]],
    out_of_order: bool,
) -> None:
    """The web trail of a web-channel lead, into `sessions` (by month): page_view -> signup
    when the lead is created, trial_start when a self-serve lead qualifies, checkout_start
    (abandoned or not) and purchase when it converts; later steps may fall in later months."""
    campaign = None if lead.campaign is None else campaigns[lead.campaign].campaign_id

    def add(key: int, steps: Steps) -> None:
        month = _month_index(_date_of(key))
        month_start, month_end = _month_bounds(month)
        steps = [(max(month_start, min(month_end - 1, at)), name) for at, name in steps]
        start = min(at for at, _ in steps)
        sessions[month].append((start, LEAD_VISITOR, index, steps, lead.channel, campaign))

    created = lead.created_ts
    if out_of_order:
        # HARD CASE: out of order. The consent banner fires the page view after the signup,
        # so this visitor's month has a signup before its first page_view.
        add(created, [(created, "signup"), (created + rng.randint(2, 40), "page_view")])
    else:
        first = created - rng.randint(60, 900)
        steps = [(first, "page_view")]
        if rng.random() < 0.4:
            steps.append(((first + created) // 2, "page_view"))
        add(created, [*steps, (created, "signup")])
    if not lead.self_serve or lead.qualified_ts is None:
        return
    trial = lead.qualified_ts
    add(trial, [(trial - rng.randint(20, 300), "page_view"), (trial, "trial_start")])
    if lead.converted_ts is not None:
        bought = lead.converted_ts
        add(
            bought,
            [
                (bought - rng.randint(120, 900), "page_view"),
                (bought - rng.randint(20, 110), "checkout_start"),
                (bought, "purchase"),
            ],
        )
    elif lead.abandoned_checkout_ts is not None:
        left = lead.abandoned_checkout_ts
        add(left, [(left - rng.randint(30, 600), "page_view"), (left, "checkout_start")])


def _visitor_sources(
    scale: float, campaigns: Sequence[Campaign], spend: Sequence[AdSpend]
) -> dict[dt.date, list[tuple[str, str | None, float]]]:
    """Per day: (channel, campaign_id, expected anonymous visitors)."""
    sources: dict[dt.date, list[tuple[str, str | None, float]]] = {}
    low, high = TRACKED_CLICK_SHARE
    for row in spend:
        campaign = campaigns[row.campaign]
        if row.clicks:
            sources.setdefault(row.day, []).append(
                (campaign.channel, campaign.campaign_id, row.clicks * (low + high) / 2)
            )
        elif campaign.channel == "events":  # QR codes on the booth, about 25 a day
            sources.setdefault(row.day, []).append(
                ("events", campaign.campaign_id, row.spend_eur / 250)
            )
    partners = [c for c in campaigns if c.channel == "partner"]
    for day in _days(START, END):
        growth = _trend(day) * SEASON[day.month] * scale
        daily = sources.setdefault(day, [])
        for channel, per_day in BASE_VISITORS.items():
            campaign_id = None
            if channel == "partner":
                running = [c.campaign_id for c in partners if c.active_on(day)]
                campaign_id = running[0] if running else None
            daily.append((channel, campaign_id, per_day * growth))
    return sources


def _anonymous_visits(
    rng: random.Random,
    day: dt.date,
    sources: Sequence[tuple[str, str | None, float]],
    sessions: list[Session],
) -> None:
    """Append the day's new anonymous visits (the hot loop: no helper calls per visit)."""
    random_, day_ts, total = rng.random, _ts(day), _HOUR_CUMULATIVE[-1]
    low, high = TRACKED_CLICK_SHARE
    for channel, campaign_id, expected in sources:
        if campaign_id is not None and channel in ("paid_search", "paid_social"):
            expected *= (low + random_() * (high - low)) / ((low + high) / 2)
        for _ in range(_poisson(rng, expected)):
            hour = bisect.bisect_right(_HOUR_CUMULATIVE, random_() * total)
            start = day_ts + hour * 3600 + int(random_() * 3600)
            sessions.append((start, NEW_VISITOR, 0, None, channel, campaign_id))


def _page_views(rng: random.Random, start: int, month_end: int) -> Steps:
    """One page view, then more with probability 0.4 each, 15 s to 4 min apart."""
    random_, at, steps = rng.random, start, [(start, "page_view")]
    while random_() < 0.4:
        at = min(at + 15 + int(random_() * 226), month_end - 1)
        steps.append((at, "page_view"))
    return steps


def _schedule_return(
    rng: random.Random,
    visitor: int,
    channel: str,
    campaign_id: str | None,
    month: int,
    sessions: list[list[Session]],
) -> None:
    """An anonymous visitor comes back 1-4 months later (HARD CASE: several months)."""
    later = month + 1 + _below(rng, 4)
    if later >= N_MONTHS:
        return
    month_start, month_end = _month_bounds(later)
    day = _date_of(month_start + _below(rng, month_end - month_start))
    start = min(_ts(day, _time_of_day(rng)), month_end - 1)
    if rng.random() < 0.65:
        channel, campaign_id = "organic", None  # typed the address or searched the brand
    sessions[later].append((start, KNOWN_VISITOR, visitor, None, channel, campaign_id))


@dataclass
class _EventColumns:
    """One month of events, column by column, in session order."""

    occurred: list[int] = field(default_factory=list)
    session: list[int] = field(default_factory=list)
    visitor: list[int] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    channel: list[str] = field(default_factory=list)
    campaign: list[str | None] = field(default_factory=list)

    def add(
        self, steps: Steps, session: int, visitor: int, channel: str, campaign: str | None
    ) -> None:
        for at, name in steps:
            self.occurred.append(at)
            self.session.append(session)
            self.visitor.append(visitor)
            self.name.append(name)
            self.channel.append(channel)
            self.campaign.append(campaign)


# fmt: off
WEB_EVENTS_SCHEMA = pa.schema([
    pa.field("event_id", pa.string(), nullable=False),
    pa.field("occurred_at", pa.timestamp("ms"), nullable=False),
    pa.field("visitor_id", pa.string(), nullable=False),
    pa.field("session_id", pa.string(), nullable=False),
    pa.field("event_name", pa.string(), nullable=False),
    pa.field("channel", pa.string(), nullable=False),
    pa.field("campaign_id", pa.string()),
])
# fmt: on


@dataclass
class _Numbering:
    """Visitor and session numbers, given in order of first appearance across months."""

    lead_visitor: list[int]  # visitor number of each lead, 0 until its first session
    visitors: int = 0
    sessions: int = 0
    events: int = 0

    def new_visitor(self) -> int:
        self.visitors += 1
        return self.visitors

    def lead(self, index: int) -> int:
        if not self.lead_visitor[index]:
            self.lead_visitor[index] = self.new_visitor()
        return self.lead_visitor[index]


def _web_events(
    rng: random.Random,
    path: Path,
    scale: float,
    leads: Sequence[Lead],
    campaigns: Sequence[Campaign],
    spend: Sequence[AdSpend],
) -> int:
    """Write marketing.web_events month by month (memory stays bounded); the row count."""
    sources = _visitor_sources(scale, campaigns, spend)
    sessions: list[list[Session]] = [[] for _ in range(N_MONTHS)]  # lead trails, return visits
    web_leads = [index for index, lead in enumerate(leads) if lead.channel in WEB_CHANNELS]
    numbering, next_lead = _Numbering([0] * len(leads)), 0
    # Sorted timestamps and sequential ids compress best as deltas (about 5 bytes an event).
    encodings = {
        "occurred_at": "DELTA_BINARY_PACKED",
        "event_id": "DELTA_BYTE_ARRAY",
        "visitor_id": "DELTA_BYTE_ARRAY",
        "session_id": "DELTA_BYTE_ARRAY",
    }
    with pq.ParquetWriter(
        path,
        WEB_EVENTS_SCHEMA,
        compression="zstd",
        compression_level=9,
        column_encoding=encodings,
        use_dictionary=["event_name", "channel", "campaign_id"],
    ) as writer:
        for month in range(N_MONTHS):
            month_start, month_end = _month_bounds(month)
            # Leads are in time order: add the trails of this month's new leads.
            while next_lead < len(web_leads) and leads[web_leads[next_lead]].created_ts < month_end:
                index = web_leads[next_lead]
                out_of_order = next_lead == 0 or rng.random() < P_OUT_OF_ORDER
                _lead_trail(rng, index, leads[index], campaigns, sessions, out_of_order)
                next_lead += 1
            current, sessions[month] = sessions[month], []
            for day in _days(_date_of(month_start), _date_of(month_end - 1)):
                _anonymous_visits(rng, day, sources[day], current)
            columns = _month_events(rng, month, current, numbering, sessions)
            del current
            writer.write_table(_events_table(columns, numbering.events + 1))
            numbering.events += len(columns.occurred)
    return numbering.events


def _month_events(
    rng: random.Random,
    month: int,
    current: list[Session],
    numbering: _Numbering,
    sessions: list[list[Session]],
) -> _EventColumns:
    """Number the month's sessions and visitors in start order and list their events."""
    month_end = _month_bounds(month)[1]
    current.sort(key=lambda session: session[0])  # stable: ties keep their creation order
    columns = _EventColumns()
    for start, kind, reference, steps, channel, campaign_id in current:
        numbering.sessions += 1
        if kind == NEW_VISITOR:
            visitor = numbering.new_visitor()
            if rng.random() < P_RETURN_VISIT:
                _schedule_return(rng, visitor, channel, campaign_id, month, sessions)
        elif kind == LEAD_VISITOR:
            visitor = numbering.lead(reference)
        else:
            visitor = reference
        if steps is None:
            steps = _page_views(rng, start, month_end)
        columns.add(steps, numbering.sessions, visitor, channel, campaign_id)
    return columns


def _id_array(prefix: str, numbers: pa.Array, width: int) -> pa.Array:
    """`prefix_000123` strings of a whole-number array, built in Arrow (fast)."""
    digits = pc.utf8_lpad(pc.cast(numbers, pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "_")


def _events_table(columns: _EventColumns, first_number: int) -> pa.Table:
    """The month's events in time order (a stable sort keeps session and step order)."""
    occurred = pa.array(columns.occurred, pa.int64())
    order = pc.sort_indices(occurred)
    count = len(occurred)
    return pa.table(
        [
            _id_array("evt", pa.array(range(first_number, first_number + count), pa.int64()), 9),
            pc.multiply(occurred.take(order), 1000).cast(pa.timestamp("ms")),
            _id_array("vis", pa.array(columns.visitor, pa.int64()).take(order), 8),
            _id_array("ses", pa.array(columns.session, pa.int64()).take(order), 8),
            pa.array(columns.name, pa.string()).take(order),
            pa.array(columns.channel, pa.string()).take(order),
            pa.array(columns.campaign, pa.string()).take(order),
        ],
        schema=WEB_EVENTS_SCHEMA,
    )


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------

Rows = Iterable[Sequence[object]]


def _write_csv(path: Path, key: str, rows: Rows) -> None:
    columns = [column.name for column in TABLES_BY_KEY[key].columns]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            if len(row) != len(columns):
                raise ValueError(f"{key}: row {row!r} does not match {columns}")
            writer.writerow(row)


def _billing_rows(
    book: Book, leads: Sequence[Lead], campaigns: Sequence[Campaign], spend: Sequence[AdSpend]
) -> dict[str, Rows]:
    """The rows of the simulated CRM, billing and marketing objects (lazy, in id order)."""

    def campaign_id(index: int | None) -> str | None:
        return None if index is None else campaigns[index].campaign_id

    return {
        "crm.customers": (
            (
                c.customer_id,
                _fmt_ts(c.created_ts),
                c.company_name,
                c.segment,
                c.region,
                c.country,
                c.channel,
                campaign_id(c.campaign),
                c.lead.lead_id if c.lead else None,
            )
            for c in book.customers
        ),
        "crm.leads": (
            (
                lead.lead_id,
                _fmt_ts(lead.created_ts),
                lead.channel,
                campaign_id(lead.campaign),
                _fmt_opt_ts(lead.qualified_ts),
                lead.customer.customer_id if lead.customer else None,
            )
            for lead in leads
        ),
        "billing.subscriptions": (
            (
                s.subscription_id,
                s.customer.customer_id,
                s.plan_id,
                _fmt_ts(s.started_ts),
                _fmt_opt_ts(s.ended_ts),
                _money(s.mrr),
                s.customer.currency,
            )
            for s in book.subscriptions
        ),
        "billing.invoices": (
            (
                i.invoice_id,
                i.customer.customer_id,
                i.subscription.subscription_id if i.subscription else None,
                i.line,
                _fmt_ts(i.issued_ts),
                _money(i.amount),
                i.customer.currency,
                i.status,
            )
            for i in book.invoices
        ),
        "marketing.campaigns": (
            (
                c.campaign_id,
                c.name,
                c.channel,
                c.started_on.isoformat(),
                c.ended_on.isoformat() if c.ended_on else None,
            )
            for c in campaigns
        ),
        "marketing.ad_spend": (
            (
                row.day.isoformat(),
                campaigns[row.campaign].campaign_id,
                _money(row.spend),
                campaigns[row.campaign].currency,
                row.impressions,
                row.clicks,
            )
            for row in spend
        ),
    }


def _hr_rows(seed: int, scale: float) -> dict[str, Rows]:
    staff = _employees(_stream(seed, "employees"), scale)
    return {
        "hr.employees": [
            (
                e.employee_id,
                e.department,
                e.product_line,
                e.hired_on.isoformat(),
                e.terminated_on.isoformat() if e.terminated_on else None,
                f"{e.fte:.2f}",
            )
            for e in staff
        ],
        "hr.payroll": _payroll(_stream(seed, "payroll"), staff),
        "hr.engagement_responses": _engagement(_stream(seed, "engagement"), staff),
    }


def generate(out_dir: Path, scale: float = 1.0, seed: int | None = None) -> list[Path]:
    """Write the demo dataset (one file per contract table) into `out_dir`; the paths written.

    `scale` multiplies customers, leads, campaigns, web visitors and employees (about
    linearly); `seed` defaults to DEFAULT_SEED. The same arguments give byte-identical files.
    """
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale!r}")
    seed = DEFAULT_SEED if seed is None else seed
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # The generator holds millions of small objects: the cyclic garbage collector would rescan
    # them again and again (half the run time) for nothing, so it pauses meanwhile.
    collecting = gc.isenabled()
    gc.disable()
    try:
        paths = {table.key: _path(out_dir, table.key) for table in TABLES}
        _generate(paths, scale, seed)
    finally:
        if collecting:
            gc.enable()
    return [paths[table.key] for table in TABLES]


def _path(out_dir: Path, key: str) -> Path:
    suffix = ".parquet" if key in PARQUET_TABLES else ".csv"
    path = out_dir / f"{TABLES_BY_KEY[key].file_stem}{suffix}"
    # A file of the same table in the other format would make the folder ambiguous.
    path.with_suffix(".csv" if suffix == ".parquet" else ".parquet").unlink(missing_ok=True)
    return path


def _generate(paths: dict[str, Path], scale: float, seed: int) -> None:
    """Simulate and write table by table, dropping what is no longer needed."""
    campaigns = _campaigns(_stream(seed, "campaigns"), scale)
    spend = _ad_spend(_stream(seed, "ad_spend"), campaigns)
    leads = _leads(_stream(seed, "leads"), scale, campaigns, spend)
    book = _customers_and_billing(
        _stream(seed, "customers"), _stream(seed, "lifecycle"), scale, leads
    )
    book.invoices = _subscription_invoices(_stream(seed, "invoices"), book)
    _number_billing(book)
    rows = _billing_rows(book, leads, campaigns, spend)
    rows["crm.nps_responses"] = _nps_responses(_stream(seed, "nps"), book)
    for key, table_rows in rows.items():
        _write_csv(paths[key], key, table_rows)
    del book, rows  # subscriptions and invoices are written: free them
    rows = _hr_rows(seed, scale)
    rows["billing.plans"] = _plans()
    rows["billing.fx_rates"] = _fx_rates(_stream(seed, "fx_rates"))
    rows["marketing.expenses"] = _expenses(_stream(seed, "expenses"), scale)
    rows["marketing.market_sizes"] = _market_sizes(_stream(seed, "market_sizes"), scale)
    for key, table_rows in rows.items():
        _write_csv(paths[key], key, table_rows)
    del rows
    key = "marketing.web_events"
    _web_events(_stream(seed, "web_events"), paths[key], scale, leads, campaigns, spend)
