"""crm.leads, crm.customers and crm.nps_responses.

Leads come from campaign spend (spend / cost per lead) and, without campaign, from organic,
referral, partner, e-mail, event and "other" sources; they qualify (for self-serve SMB web
leads: the trial start) and some convert after a sales cycle that grows with the segment.
Customers are the opening book imported on the first day (no lead), converted leads (with the
lead's channel and campaign) and outbound deals of the sales team.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nyckeltal.demo import hard_cases
from nyckeltal.demo.common import (
    CHANNELS,
    COUNTRIES,
    COUNTRY_WEIGHTS,
    DAY,
    LEGAL_FORMS,
    NORTH_AMERICA_LAUNCH,
    REGIONS,
    SEASON,
    SEGMENTS,
    WEB_CHANNELS,
    Window,
    id_array,
    id_width,
    labels,
    months_of,
    pick,
    random_region,
    time_of_day,
    timestamps,
    weekday_in_month,
)
from nyckeltal.demo.marketing import CPL_EUR, NO_REGION, AdSpend, Campaigns

# by channel (common.CHANNELS): leads a day at factor 1 without campaign, P(MQL), P(win | MQL)
# HARD CASE: paid-search leads without campaign (their UTM tags were lost).
PER_DAY = np.array([2.0, 0.06, 0.0, 0.2, 0.5, 0.1, 0.15, 0.2])
P_MQL = np.array([0.35, 0.30, 0.22, 0.30, 0.55, 0.40, 0.50, 0.30])
P_WIN = np.array([0.17, 0.15, 0.12, 0.14, 0.27, 0.16, 0.24, 0.17])
SEGMENT_MIX = np.array(
    [
        [0.62, 0.30, 0.08],
        [0.60, 0.32, 0.08],
        [0.50, 0.38, 0.12],
        [0.58, 0.34, 0.08],
        [0.45, 0.40, 0.15],
        [0.30, 0.45, 0.25],
        [0.35, 0.45, 0.20],
        [0.40, 0.40, 0.20],
    ]
)
SALES_CYCLE_DAYS = np.array([[2, 21], [14, 75], [30, 140]])  # by segment
LEAD_LAG_DAYS = np.array([0, 0, 0, 6, 0, 10, 29, 0])  # after the spend day, by channel


@dataclass
class Leads:
    """Leads in id order (time order), column by column; -1 is null."""

    created: np.ndarray
    channel: np.ndarray
    campaign: np.ndarray
    region: np.ndarray
    segment: np.ndarray
    self_serve: np.ndarray  # an SMB web lead: trial, checkout and purchase on the web
    qualified: np.ndarray
    converted: np.ndarray
    abandoned_checkout: np.ndarray
    customer: np.ndarray | None = None  # customer number (1-based), -1

    def table(self, campaign_width: int, customer_width: int) -> pa.Table:
        n = len(self.created)
        return pa.table(
            {
                "lead_id": id_array("lead", np.arange(1, n + 1), id_width(n)),
                "created_at": timestamps(self.created),
                "channel": labels(CHANNELS, self.channel),
                "campaign_id": id_array("cmp", self.campaign + 1, campaign_width),
                "qualified_at": timestamps(self.qualified, self.qualified < 0),
                "converted_customer_id": id_array("cus", self.customer, customer_width),
            }
        )


def leads(
    rng: np.random.Generator, window: Window, factor: float, plan: Campaigns, spend: AdSpend
) -> Leads:
    """Spend / cost per lead of each campaign day, plus leads without campaign."""
    expected = spend.spend_eur / CPL_EUR[plan.channel[spend.campaign]]
    row = np.repeat(np.arange(len(expected)), rng.poisson(expected))
    campaign = spend.campaign[row]
    channel = plan.channel[campaign]
    day = spend.day[row] + (rng.random(len(row)) * (LEAD_LAG_DAYS[channel] + 1)).astype(np.int64)
    region = plan.region[campaign]
    drawn = random_region(rng, day, NORTH_AMERICA_LAUNCH)
    region = np.where(region == NO_REGION, drawn, region)
    days = window.day_numbers
    growth = window.trend(days) * SEASON[months_of(days)] * factor
    counts = rng.poisson(np.outer(growth, PER_DAY))  # day x channel
    free_day = np.repeat(np.repeat(days, len(CHANNELS)), counts.ravel())
    free_channel = np.repeat(np.tile(np.arange(len(CHANNELS)), len(days)), counts.ravel())
    day = np.concatenate([day, free_day])
    channel = np.concatenate([channel, free_channel])
    campaign = np.concatenate([campaign, np.full(len(free_day), -1)])
    region = np.concatenate([region, random_region(rng, free_day, NORTH_AMERICA_LAUNCH)])
    created = day * DAY + time_of_day(rng, len(day))
    keep = created < window.end_ts
    order = np.argsort(created[keep], kind="stable")
    created, channel = created[keep][order], channel[keep][order]
    campaign, region = campaign[keep][order], region[keep][order]
    n = len(created)
    segment = pick(rng, SEGMENT_MIX[channel])
    self_serve = WEB_CHANNELS[channel] & (segment == 0)
    # MQL (for self-serve leads: the trial start), then maybe a customer after a sales cycle.
    delay = np.where(self_serve, rng.uniform(0.01, 2.0, n), rng.uniform(0.2, 12.0, n))
    qualified = created + (delay * DAY).astype(np.int64)
    is_mql = (rng.random(n) < P_MQL[channel]) & (qualified < window.end_ts)
    wins = is_mql & (rng.random(n) < P_WIN[channel])
    cycle = rng.uniform(SALES_CYCLE_DAYS[segment, 0], SALES_CYCLE_DAYS[segment, 1])
    converted = qualified + (cycle * DAY).astype(np.int64)
    is_customer = wins & (converted < window.end_ts)
    abandoned = qualified + (rng.uniform(1, 12, n) * DAY).astype(np.int64)
    abandons = is_mql & ~wins & self_serve & (rng.random(n) < 0.3) & (abandoned < window.end_ts)
    return Leads(
        created,
        channel,
        campaign,
        region,
        segment,
        self_serve,
        np.where(is_mql, qualified, -1),
        np.where(is_customer, converted, -1),
        np.where(abandons, abandoned, -1),
    )


# --- customers -----------------------------------------------------------------------------------

# fmt: off
NAME_PARTS = (  # by region: (stems, trades)
    (("Norrsken", "Fjällvik", "Kvarnberg", "Solbacka", "Ekholm", "Lindqvist", "Björkdal",
      "Havsörn", "Ängsmark", "Granlund", "Stenbro", "Vindö", "Skogsvik", "Ljungby", "Fyrtorn",
      "Nordhav", "Åkervall", "Sjöberg"),
     ("Logistik", "Bygg", "Energi", "Fastigheter", "Retail", "Media", "Konsult", "Handel",
      "Industri", "Transport", "Vård", "Data")),
    (("Alpenblick", "Bergmann", "Rheinwerk", "Schwarzwald", "Hansen", "Edelweiss", "Donau",
      "Falkenstein", "Lindenhof", "Brückner", "Isar", "Kranich"),
     ("Logistik", "Maschinenbau", "Handel", "Software", "Medien", "Energie", "Versand", "Bau",
      "Finanz", "Pharma")),
    (("Thames", "Kestrel", "Oakridge", "Pennine", "Liffey", "Shannon", "Cotswold", "Ashford",
      "Brightwater", "Greystone", "Harrow", "Wexford"),
     ("Logistics", "Clinics", "Retail", "Media", "Energy", "Foods", "Partners", "Labs",
      "Freight", "Homes")),
    (("Harborview", "Pinecrest", "Redwood", "Summit", "Lakeshore", "Bluebird", "Granite",
      "Prairie", "Cascade", "Maple", "Ironwood", "Silverline"),
     ("Freight", "Health", "Labs", "Systems", "Logistics", "Retail", "Energy", "Media",
      "Capital", "Foods")),
)
# fmt: on
HEALTH = ("good", "neutral", "poor")
HEALTH_WEIGHTS = np.array([0.5, 0.38, 0.12])
OPENING_BOOK = 225  # customers imported on the first day, at factor 1
OPENING_SEGMENTS = np.array([0.5, 0.35, 0.15])
OPENING_CHANNELS = np.array([0.35, 0, 0, 0, 0.2, 0.12, 0.15, 0.18])  # over CHANNELS
OPENING_REGIONS = np.array([0.5, 0.3, 0.15, 0.05])
OUTBOUND_PER_MONTH = 0.35


@dataclass
class Customers:
    """Customers in id order (cus_0001 ... by creation time), column by column; -1 is null."""

    created: np.ndarray
    segment: np.ndarray
    region: np.ndarray
    country: np.ndarray
    channel: np.ndarray
    campaign: np.ndarray
    lead: np.ndarray  # lead number (1-based), -1
    health: np.ndarray
    scripted: np.ndarray
    start: np.ndarray  # start of the first subscriptions (>= end of data: none yet)
    renewal: np.ndarray  # opening book: renewal instant kept from the old system, -1
    name: pa.Array

    def __len__(self) -> int:
        return len(self.created)

    @property
    def width(self) -> int:
        return id_width(len(self))

    def table(self, campaign_width: int, lead_width: int) -> pa.Table:
        return pa.table(
            {
                "customer_id": id_array("cus", np.arange(1, len(self) + 1), self.width),
                "created_at": timestamps(self.created),
                "company_name": self.name,
                "segment": labels(SEGMENTS, self.segment),
                "region": labels(REGIONS, self.region),
                "country_code": labels(COUNTRIES, self.country),
                "acquisition_channel": labels(CHANNELS, self.channel),
                "acquisition_campaign_id": id_array("cmp", self.campaign + 1, campaign_width),
                "lead_id": id_array("lead", self.lead, lead_width),
            }
        )


def _names(rng: np.random.Generator, region: np.ndarray, country: np.ndarray) -> pa.Array:
    stems = [stem for stems, _ in NAME_PARTS for stem in stems]
    trades = [trade for _, trades in NAME_PARTS for trade in trades]
    stem_count = np.array([len(stems) for stems, _ in NAME_PARTS])
    trade_count = np.array([len(trades) for _, trades in NAME_PARTS])
    stem_first = np.cumsum(stem_count) - stem_count
    trade_first = np.cumsum(trade_count) - trade_count
    n = len(region)
    stem = stem_first[region] + (rng.random(n) * stem_count[region]).astype(np.int64)
    trade = trade_first[region] + (rng.random(n) * trade_count[region]).astype(np.int64)
    return pc.binary_join_element_wise(
        pa.array(stems).take(pa.array(stem)),
        pa.array(trades).take(pa.array(trade)),
        pa.array(LEGAL_FORMS).take(pa.array(country)),
        " ",
    )


def customers(rng: np.random.Generator, window: Window, factor: float, lead: Leads) -> Customers:
    """The scripted hard cases, the opening book, converted leads and outbound deals."""
    start = window.start_ts
    # opening book
    n_open = round(OPENING_BOOK * factor)
    open_segment = pick(rng, OPENING_SEGMENTS, n_open)
    open_channel = pick(rng, OPENING_CHANNELS, n_open)
    open_region = pick(rng, OPENING_REGIONS, n_open)
    renewal = start + rng.integers(0, 365, n_open) * DAY
    # converted leads
    won = np.flatnonzero(lead.converted >= 0)
    # outbound deals: larger customers without lead, channel "other"
    month = np.repeat(
        np.arange(window.months), rng.poisson(OUTBOUND_PER_MONTH * factor, window.months)
    )
    out_day = weekday_in_month(rng, window, month)
    out_created = out_day * DAY + time_of_day(rng, len(month))
    out_segment = 1 + rng.integers(0, 2, len(month))
    out_region = random_region(rng, out_day, NORTH_AMERICA_LAUNCH)

    script = hard_cases.CUSTOMERS
    k, m = len(won), len(month)
    created = np.concatenate(
        [np.full(len(script) + n_open, start), lead.converted[won], out_created]
    )
    segment = np.concatenate(
        [[c.segment for c in script], open_segment, lead.segment[won], out_segment]
    )
    region = np.concatenate([[c.region for c in script], open_region, lead.region[won], out_region])
    channel = np.concatenate(
        [[c.channel for c in script], open_channel, lead.channel[won], np.full(m, 7)]
    )
    campaign = np.concatenate(
        [np.full(len(script) + n_open, -1), lead.campaign[won], np.full(m, -1)]
    )
    lead_number = np.concatenate([np.full(len(script) + n_open, -1), won + 1, np.full(m, -1)])
    renewals = np.concatenate([np.full(len(script), -1), renewal, np.full(k + m, -1)])
    scripted = np.zeros(len(created), dtype=bool)
    scripted[: len(script)] = True
    n = len(created)
    country = pick(rng, COUNTRY_WEIGHTS[region])
    country[: len(script)] = [c.country for c in script]
    health = pick(rng, HEALTH_WEIGHTS, n)
    health[: len(script)] = [c.health for c in script]
    names = _names(rng, region, country)
    names = pa.concat_arrays([pa.array([c.name for c in script]), names[len(script) :]])
    # SMB start at once (self-serve); larger deals on a contract date a few days later.
    contract = (created // DAY + rng.integers(1, 15, n)) * DAY
    first_start = np.where((segment == 0) | (created == start), created, contract)
    order = np.argsort(created, kind="stable")
    numbers = np.empty(n, dtype=np.int64)
    numbers[order] = np.arange(1, n + 1)
    lead.customer = np.full(len(lead.created), -1)
    lead.customer[won] = numbers[len(script) + n_open : len(script) + n_open + k]
    return Customers(
        created[order],
        segment[order],
        region[order],
        country[order],
        channel[order],
        campaign[order],
        lead_number[order],
        health[order],
        scripted[order],
        first_start[order],
        renewals[order],
        names.take(pa.array(order)),
    )


# --- crm.nps_responses ---------------------------------------------------------------------------

NPS_PROFILES = np.array(  # P(score) for score 0..10, by health
    [
        [0, 0, 0, 0, 0, 0, 2, 6, 17, 35, 40],
        [0, 0, 0, 0, 2, 4, 8, 22, 30, 22, 12],
        [4, 4, 6, 10, 14, 16, 18, 14, 8, 4, 2],
    ],
    dtype=float,
)
TOUCHPOINTS = ("post_purchase", "relationship", "post_support")


def nps_responses(
    rng: np.random.Generator,
    window: Window,
    book: Customers,
    sub_customer: np.ndarray,
    sub_started: np.ndarray,
    sub_ended: np.ndarray,
) -> pa.Table:
    """After purchase, after support tickets and in the twice-yearly relationship survey, from
    customers with a subscription running at the time. Healthy accounts promote."""
    n = len(book)
    order = np.lexsort((sub_started, sub_customer))
    customer, started = sub_customer[order], sub_started[order]
    ended = np.where(sub_ended[order] < 0, window.end_ts, sub_ended[order])
    first_sub = np.searchsorted(customer, np.arange(1, n + 1))
    sub_count = np.searchsorted(customer, np.arange(1, n + 1), side="right") - first_sub
    has = sub_count > 0
    parts = []  # (customer number, instant, touchpoint)
    asked = has & (rng.random(n) < 0.35)
    who = np.flatnonzero(asked)
    parts.append(
        (who, started[first_sub[who]] + (rng.uniform(14, 40, len(who)) * DAY).astype(np.int64), 0)
    )
    for survey in hard_cases.relationship_surveys(window):
        who = np.flatnonzero(has & (rng.random(n) < 0.25))
        parts.append((who, survey + (rng.uniform(0, 10, len(who)) * DAY).astype(np.int64), 1))
    for month in range(window.months):
        low, high = window.bounds[month], window.bounds[month + 1]
        who = np.flatnonzero(has & (rng.random(n) < 0.04))
        parts.append((who, low + (rng.random(len(who)) * (high - low)).astype(np.int64), 2))
    who = np.concatenate([p[0] for p in parts])
    at = np.concatenate([p[1] for p in parts])
    touchpoint = np.concatenate([np.full(len(p[0]), p[2]) for p in parts])
    covered = np.zeros(len(who), dtype=bool)
    for j in range(int(sub_count.max(initial=0))):
        index = np.minimum(first_sub[who] + j, len(customer) - 1)
        inside = (j < sub_count[who]) & (started[index] <= at) & (at < ended[index])
        covered |= inside
    keep = covered & (at < window.end_ts)
    who, at, touchpoint = who[keep], at[keep], touchpoint[keep]
    score = pick(rng, NPS_PROFILES[book.health[who]])
    score -= (touchpoint == 2) & (rng.random(len(who)) < 0.3)  # a support case leaves a mark
    score = np.clip(score, 0, 10)
    order = np.lexsort((touchpoint, score, who, at))
    m = len(order)
    return pa.table(
        {
            "response_id": id_array("nps", np.arange(1, m + 1), id_width(m)),
            "customer_id": id_array("cus", who[order] + 1, book.width),
            "responded_at": timestamps(at[order]),
            "score": pa.array(score[order], pa.int32()),
            "touchpoint": labels(TOUCHPOINTS, touchpoint[order]),
        }
    )
