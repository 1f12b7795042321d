"""marketing.web_events, streamed month by month into Parquet (memory stays bounded).

Anonymous visitors come from tracked ad clicks (the consent banner lets 35-50 % through),
event QR codes and organic, referral, partner and "other" traffic, in the volume the scale's
`visitors` sets (the demo's: about 1-3 % of the recorded visitors of a month purchase, as on
a small B2B SaaS site; scales.py); about 12 % come back one to four months later.
Web-channel leads leave a ``page_view -> signup`` trail when created, self-serve leads a
``page_view -> trial_start`` when they qualify, and every web-channel lead that becomes a
customer a ``checkout_start -> purchase`` at the instant the customer is created (sales-
assisted deals sign and pay on the web too); self-serve leads may abandon a checkout
instead. Later steps may fall in later months.

HARD CASE: out of order. For 2 % of the web leads (and always the first) the consent banner
fires the page view after the signup, so that visitor's month has a signup before its first
page_view. HARD CASE: visitors seen in several months (returns, lead trails).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from nyckeltal.demo.common import (
    CHANNELS,
    DAY,
    SEASON,
    WEB_CHANNELS,
    Window,
    id_array,
    labels,
    month_index,
    months_of,
    time_of_day,
)
from nyckeltal.demo.crm import Leads
from nyckeltal.demo.marketing import EVENTS, PARTNER, SEARCH, SOCIAL, AdSpend, Campaigns
from nyckeltal.demo.writer import Output

EVENT_NAMES = ("page_view", "signup", "trial_start", "checkout_start", "purchase")
PAGE_VIEW, SIGNUP, TRIAL, CHECKOUT, PURCHASE = range(5)
BASE_VISITORS = {0: 50.0, 4: 20.0, 7: 4.0, PARTNER: 3.0}  # a day at factor 1, by channel
TRACKED_CLICK_SHARE = (0.35, 0.5)  # clicks that accept the consent banner
P_RETURN_VISIT = 0.12
P_OUT_OF_ORDER = 0.02
P_MORE_PAGES = 0.4
SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("occurred_at", pa.timestamp("ms"), nullable=False),
        pa.field("visitor_id", pa.string(), nullable=False),
        pa.field("session_id", pa.string(), nullable=False),
        pa.field("event_name", pa.dictionary(pa.int32(), pa.string()), nullable=False),
        pa.field("channel", pa.dictionary(pa.int32(), pa.string()), nullable=False),
        pa.field("campaign_id", pa.dictionary(pa.int32(), pa.string())),
    ]
)


def _sources(window: Window, ratio: float, visitors: float, plan: Campaigns, spend: AdSpend):
    """(day, channel, campaign, expected anonymous visitors) arrays. `ratio` converts the
    campaign factor to the visitor factor (ad clicks scale with the campaigns)."""
    low, high = TRACKED_CLICK_SHARE
    channel = plan.channel[spend.campaign]
    clicked = spend.clicks > 0
    qr = (spend.clicks == 0) & (channel == EVENTS)  # QR codes on the booth, ~25 a day
    expected = np.where(clicked, spend.clicks * (low + high) / 2, spend.spend_eur / 250) * ratio
    keep = clicked | qr
    parts = [(spend.day[keep], channel[keep], spend.campaign[keep], expected[keep])]
    days = window.day_numbers
    growth = window.trend(days) * SEASON[months_of(days)] * visitors
    partners = np.flatnonzero(plan.channel == PARTNER)
    last = plan.last_day(window)
    running = np.full(len(days), -1)
    for index in partners[::-1]:  # the first running partner campaign (in id order)
        active = (days >= plan.started[index]) & (days <= last[index])
        running = np.where(active, index, running)
    for code, per_day in BASE_VISITORS.items():
        campaign = running if code == PARTNER else np.full(len(days), -1)
        parts.append((days, np.full(len(days), code), campaign, per_day * growth))
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))


class _Trails:
    """The lead sessions of every month: events (lead, month, session key, at, name)."""

    def __init__(self, rng: np.random.Generator, window: Window, leads: Leads) -> None:
        web = np.flatnonzero(WEB_CHANNELS[leads.channel])
        self.lead, self.at, self.name, self.session = [], [], [], []
        created = leads.created[web]
        n = len(web)
        reverse = rng.random(n) < P_OUT_OF_ORDER
        reverse[:1] = True
        first = created - rng.integers(60, 901, n)
        second = rng.random(n) < 0.4
        after = created + rng.integers(2, 41, n)
        # session 0: page_view(s) -> signup, or signup -> page_view
        self._add(web, 0, np.where(reverse, created, first), np.where(reverse, SIGNUP, PAGE_VIEW))
        keep = ~reverse & second
        self._add(web[keep], 0, (first[keep] + created[keep]) // 2, PAGE_VIEW)
        self._add(web, 0, np.where(reverse, after, created), np.where(reverse, PAGE_VIEW, SIGNUP))
        # session 1: the trial of a qualified self-serve lead
        trial = web[leads.self_serve[web] & (leads.qualified[web] >= 0)]
        at = leads.qualified[trial]
        self._add(trial, 1, at - rng.integers(20, 301, len(trial)), PAGE_VIEW)
        self._add(trial, 1, at, TRIAL)
        # session 2: checkout and purchase (at the customer's creation) of every web lead that
        # converts, or a self-serve lead's abandoned checkout
        bought = web[leads.converted[web] >= 0]
        at = leads.converted[bought]
        self._add(bought, 2, at - rng.integers(120, 901, len(bought)), PAGE_VIEW)
        self._add(bought, 2, at - rng.integers(20, 111, len(bought)), CHECKOUT)
        self._add(bought, 2, at, PURCHASE)
        left = trial[leads.abandoned_checkout[trial] >= 0]
        at = leads.abandoned_checkout[left]
        self._add(left, 2, at - rng.integers(30, 601, len(left)), PAGE_VIEW)
        self._add(left, 2, at, CHECKOUT)
        lead, session = np.concatenate(self.lead), np.concatenate(self.session)
        at, name = np.concatenate(self.at), np.concatenate(self.name)
        # the month of a session is that of its key step (signup, trial, purchase/checkout)
        key = np.select([session == 0, session == 1],
                        [leads.created[lead], leads.qualified[lead]],
                        np.where(leads.converted[lead] >= 0, leads.converted[lead],
                                 leads.abandoned_checkout[lead]))  # fmt: skip
        month = month_index(key, window.start)
        at = np.clip(at, window.bounds[month], window.bounds[month + 1] - 1)
        order = np.argsort(month, kind="stable")
        self.lead, self.session, self.at = lead[order], session[order], at[order]
        self.name, self.month = name[order], month[order]
        self.first = np.searchsorted(self.month, np.arange(window.months + 1))

    def _add(self, lead, session, at, name) -> None:
        self.lead.append(lead)
        self.session.append(np.broadcast_to(session, lead.shape).astype(np.int64))
        self.at.append(np.asarray(at, np.int64))
        self.name.append(np.broadcast_to(name, lead.shape).astype(np.int64))

    def month_slice(self, month: int) -> slice:
        return slice(self.first[month], self.first[month + 1])


ENCODINGS = {  # sorted timestamps and sequential ids compress best as deltas
    "occurred_at": "DELTA_BINARY_PACKED",
    "event_id": "DELTA_BYTE_ARRAY",
    "visitor_id": "DELTA_BYTE_ARRAY",
    "session_id": "DELTA_BYTE_ARRAY",
}
NEW, RETURNING, LEAD = 0, 1, 2  # kinds of session


def write_web_events(out: Output, path: Path, site: Site) -> int:
    """Write marketing.web_events of `site` month by month (at most two months in memory, the
    writing overlapping the next month's computation); the number of events."""
    writer = out.parquet_writer(
        path,
        SCHEMA,
        column_encoding=ENCODINGS,
        use_dictionary=["event_name", "channel", "campaign_id"],
    )
    previous = None
    for month in range(site.window.months):
        table = site.month(month)
        if previous is not None:
            previous.result()
        previous = out.submit(writer.write_table, table)
    out.submit(writer.close)
    return site.events


class Site:
    """The web site month after month: visitor, session and event numbers go on across
    months, returning visitors are scheduled into later months."""

    def __init__(
        self,
        rng: np.random.Generator,
        window: Window,
        factor: float,
        visitors: float,
        leads: Leads,
        plan: Campaigns,
        spend: AdSpend,
    ) -> None:
        self.rng, self.window, self.leads = rng, window, leads
        day, channel, campaign, expected = _sources(
            window, visitors / factor, visitors, plan, spend
        )
        paid = (campaign >= 0) & ((channel == SEARCH) | (channel == SOCIAL))
        low, high = TRACKED_CLICK_SHARE
        share = rng.uniform(low, high, len(expected)) / ((low + high) / 2)
        counts = rng.poisson(np.where(paid, expected * share, expected))
        self.sources = (day, channel, campaign, counts, month_index(day * DAY, window.start))
        self.trails = _Trails(rng, window, leads)
        self.lead_visitor = np.zeros(len(leads.created), np.int64)
        self.pending: list[list[tuple[np.ndarray, ...]]] = [[] for _ in range(window.months)]
        self.campaign_ids = id_array("cmp", np.arange(1, len(plan.name) + 1), plan.width)
        self.visitors = self.sessions = self.events = 0

    def month(self, month: int) -> pa.Table:
        """The month's events, in time order."""
        sessions, trail = self._sessions(month)
        visitor = self._visitors(sessions)
        self._schedule_returns(month, sessions, visitor)
        return self._events(month, sessions, trail, visitor)

    def _sessions(self, month: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """New anonymous, returning and lead sessions, sorted by their start."""
        day, channel, campaign, counts, source_month = self.sources
        here = source_month == month
        new_day = np.repeat(day[here], counts[here])
        new = {"start": new_day * DAY + time_of_day(self.rng, len(new_day)),
               "channel": np.repeat(channel[here], counts[here]),
               "campaign": np.repeat(campaign[here], counts[here])}  # fmt: skip
        empty = np.zeros(0, np.int64)
        back = [np.concatenate(c) for c in zip(*self.pending[month], strict=True)] or [empty] * 4
        self.pending[month] = []
        part = self.trails.month_slice(month)
        trail = {"lead": self.trails.lead[part], "at": self.trails.at[part],
                 "name": self.trails.name[part]}  # fmt: skip
        key = trail["lead"] * 3 + self.trails.session[part]
        keys, first, trail["session"] = np.unique(key, return_index=True, return_inverse=True)
        lead_start = np.full(len(keys), np.iinfo(np.int64).max)
        np.minimum.at(lead_start, trail["session"], trail["at"])
        lead = trail["lead"][first]
        columns = {
            "start": (new["start"], back[0], lead_start),
            "kind": (np.full(len(new_day), NEW), np.full(len(back[0]), RETURNING),
                     np.full(len(keys), LEAD)),
            "ref": (np.zeros(len(new_day), np.int64), back[1], lead),
            "channel": (new["channel"], back[2], self.leads.channel[lead]),
            "campaign": (new["campaign"], back[3], self.leads.campaign[lead]),
        }  # fmt: skip
        sessions = {name: np.concatenate(parts) for name, parts in columns.items()}
        order = np.argsort(sessions["start"], kind="stable")
        sessions = {name: values[order] for name, values in sessions.items()}
        # trail["session"]: the row (in start order) of each trail step's session
        row = np.empty(len(keys), np.int64)
        lead_rows = np.flatnonzero(sessions["kind"] == LEAD)
        row[order[lead_rows] - len(new_day) - len(back[0])] = lead_rows
        trail["session"] = row[trail["session"]]
        sessions["number"] = self.sessions + 1 + np.arange(len(order))
        self.sessions += len(order)
        return sessions, trail

    def _visitors(self, sessions: dict[str, np.ndarray]) -> np.ndarray:
        """The visitor number of each session, numbered in order of first appearance."""
        kind, ref = sessions["kind"], sessions["ref"]
        lead_rows = np.flatnonzero(kind == LEAD)
        _, first = np.unique(ref[lead_rows], return_index=True)
        first = lead_rows[first]
        fresh_leads = first[self.lead_visitor[ref[first]] == 0]
        first_time = kind == NEW
        first_time[fresh_leads] = True
        visitor = np.zeros(len(kind), np.int64)
        visitor[first_time] = self.visitors + 1 + np.arange(first_time.sum())
        self.visitors += int(first_time.sum())
        self.lead_visitor[ref[fresh_leads]] = visitor[fresh_leads]
        visitor = np.where(kind == RETURNING, ref, visitor)
        return np.where(kind == LEAD, self.lead_visitor[np.where(kind == LEAD, ref, 0)], visitor)

    def _schedule_returns(
        self, month: int, sessions: dict[str, np.ndarray], visitor: np.ndarray
    ) -> None:
        """New anonymous visitors: some come back one to four months later (HARD CASE)."""
        rng, bounds = self.rng, self.window.bounds
        new_rows = np.flatnonzero(sessions["kind"] == NEW)
        back = new_rows[rng.random(len(new_rows)) < P_RETURN_VISIT]
        later = month + 1 + rng.integers(0, 4, len(back))
        organic = rng.random(len(back)) < 0.65  # typed the address or searched the brand
        inside = later < self.window.months
        back, later, organic = back[inside], later[inside], organic[inside]
        low, high = bounds[later], bounds[later + 1]
        day = (low + (rng.random(len(back)) * (high - low)).astype(np.int64)) // DAY
        start = np.minimum(day * DAY + time_of_day(rng, len(back)), high - 1)
        channel = np.where(organic, 0, sessions["channel"][back])
        campaign = np.where(organic, -1, sessions["campaign"][back])
        for target in np.unique(later):
            chosen = later == target
            self.pending[target].append(
                (start[chosen], visitor[back][chosen], channel[chosen], campaign[chosen])
            )

    def _events(
        self,
        month: int,
        sessions: dict[str, np.ndarray],
        trail: dict[str, np.ndarray],
        visitor: np.ndarray,
    ) -> pa.Table:
        """Page views of anonymous sessions (one, then more with probability 0.4 each, 15 s to
        4 min apart) and the steps of lead sessions, in time order."""
        rng, month_end = self.rng, self.window.bounds[month + 1]
        anonymous = np.flatnonzero(sessions["kind"] != LEAD)
        pages = self.rng.geometric(1 - P_MORE_PAGES, len(anonymous))
        session = np.repeat(anonymous, pages)
        first = np.repeat(np.cumsum(pages) - pages, pages)
        step = np.arange(len(session)) - first
        gaps = np.where(step > 0, 15 + (rng.random(len(session)) * 226).astype(np.int64), 0)
        elapsed = np.cumsum(gaps)
        at = np.minimum(sessions["start"][session] + elapsed - elapsed[first], month_end - 1)
        session = np.concatenate([session, trail["session"]])
        at = np.concatenate([at, trail["at"]])
        name = np.concatenate([np.full(len(step), PAGE_VIEW), trail["name"]])
        step = np.concatenate([step, np.arange(len(trail["at"]))])
        order = np.lexsort((step, session))
        order = order[np.argsort(at[order], kind="stable")]
        session, at, name = session[order], at[order], name[order]
        count = len(at)
        table = pa.table(
            [
                id_array("evt", self.events + 1 + np.arange(count), 9),
                pa.array(at * 1000, pa.timestamp("ms")),
                id_array("vis", visitor[session], 8),
                id_array("ses", sessions["number"][session], 8),
                labels(EVENT_NAMES, name, encoded=True),
                labels(CHANNELS, sessions["channel"][session], encoded=True),
                labels(self.campaign_ids, sessions["campaign"][session], encoded=True),
            ],
            schema=SCHEMA,
        )
        self.events += count
        return table
