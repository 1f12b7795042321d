"""marketing.web_events, streamed month by month into Parquet (memory stays bounded).

Anonymous visitors come from tracked ad clicks (the consent banner lets 35-50 % through),
event QR codes and organic, referral, partner and "other" traffic; about 12 % come back one to
four months later. Web-channel leads leave a ``page_view -> signup`` trail when created,
self-serve leads a ``page_view -> trial_start`` when they qualify and ``checkout_start ->
purchase`` when they convert (at the instant the customer is created) or an abandoned
checkout; later steps may fall in later months.

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
BASE_VISITORS = {0: 50.0, 4: 6.0, 7: 4.0, PARTNER: 3.0}  # a day at factor 1, by channel
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
        # session 2: checkout and purchase (at the customer's creation), or an abandoned one
        bought = trial[leads.converted[trial] >= 0]
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


def write_web_events(
    rng: np.random.Generator,
    out: Output,
    path: Path,
    window: Window,
    factor: float,
    visitors: float,
    leads: Leads,
    plan: Campaigns,
    spend: AdSpend,
) -> int:
    """Write marketing.web_events month by month; the number of events."""
    day, channel, campaign, expected = _sources(window, visitors / factor, visitors, plan, spend)
    paid = (campaign >= 0) & ((channel == SEARCH) | (channel == SOCIAL))
    low, high = TRACKED_CLICK_SHARE
    expected = np.where(
        paid, expected * rng.uniform(low, high, len(expected)) / ((low + high) / 2), expected
    )
    counts = rng.poisson(expected)
    trails = _Trails(rng, window, leads)
    lead_visitor = np.zeros(len(leads.created), np.int64)
    pending: list[list[np.ndarray]] = [[] for _ in range(window.months)]  # returns by month
    source_month = month_index(day * DAY, window.start)
    visitor_count = session_count = event_count = 0
    encodings = {
        "occurred_at": "DELTA_BINARY_PACKED",
        "event_id": "DELTA_BYTE_ARRAY",
        "visitor_id": "DELTA_BYTE_ARRAY",
        "session_id": "DELTA_BYTE_ARRAY",
    }
    width = 9
    campaign_ids = id_array("cmp", np.arange(1, len(plan.name) + 1), plan.width)
    writer = out.parquet_writer(
        path,
        SCHEMA,
        column_encoding=encodings,
        use_dictionary=["event_name", "channel", "campaign_id"],
    )
    previous = None
    for month in range(window.months):
        month_end = window.bounds[month + 1]
        here = source_month == month
        n_new = counts[here]
        s_day = np.repeat(day[here], n_new)
        s_channel = np.repeat(channel[here], n_new)
        s_campaign = np.repeat(campaign[here], n_new)
        s_start = s_day * DAY + time_of_day(rng, len(s_day))
        # returning anonymous visitors scheduled by earlier months
        if pending[month]:
            r_start, r_visitor, r_channel, r_campaign = (
                np.concatenate(c) for c in zip(*pending[month], strict=True)
            )
        else:
            r_start = r_visitor = r_channel = r_campaign = np.zeros(0, np.int64)
        # the lead trail sessions of this month
        part = trails.month_slice(month)
        t_lead, t_session = trails.lead[part], trails.session[part]
        t_at, t_name = trails.at[part], trails.name[part]
        key = t_lead * 3 + t_session
        unique_key, first_index, inverse = np.unique(key, return_index=True, return_inverse=True)
        t_start = np.full(len(unique_key), np.iinfo(np.int64).max)
        np.minimum.at(t_start, inverse, t_at)
        t_lead_of = t_lead[first_index]
        # all sessions of the month: kind 0 new anonymous, 1 returning, 2 lead
        start = np.concatenate([s_start, r_start, t_start])
        kind = np.concatenate(
            [
                np.zeros(len(s_start), np.int64),
                np.ones(len(r_start), np.int64),
                np.full(len(t_start), 2),
            ]
        )
        ref = np.concatenate([np.zeros(len(s_start), np.int64), r_visitor, t_lead_of])
        s_ch = np.concatenate([s_channel, r_channel, leads.channel[t_lead_of]])
        s_cmp = np.concatenate([s_campaign, r_campaign, leads.campaign[t_lead_of]])
        order = np.argsort(start, kind="stable")
        start, kind, ref, s_ch, s_cmp = (a[order] for a in (start, kind, ref, s_ch, s_cmp))
        sessions = len(start)
        session_number = session_count + 1 + np.arange(sessions)
        session_count += sessions
        # visitor numbers in order of first appearance
        lead_rows = np.flatnonzero(kind == 2)
        leads_here = ref[lead_rows]
        _, first_row = np.unique(leads_here, return_index=True)
        first_time = np.zeros(sessions, bool)
        fresh_leads = lead_rows[first_row][lead_visitor[leads_here[first_row]] == 0]
        first_time[fresh_leads] = True
        first_time |= kind == 0
        visitor = np.zeros(sessions, np.int64)
        visitor[first_time] = visitor_count + 1 + np.arange(first_time.sum())
        visitor_count += int(first_time.sum())
        lead_visitor[ref[fresh_leads]] = visitor[fresh_leads]
        visitor = np.where(kind == 1, ref, visitor)
        visitor = np.where(kind == 2, lead_visitor[np.where(kind == 2, ref, 0)], visitor)
        # new anonymous visitors: some come back one to four months later
        new_rows = np.flatnonzero(kind == 0)
        back = new_rows[rng.random(len(new_rows)) < P_RETURN_VISIT]
        later = month + 1 + rng.integers(0, 4, len(back))
        organic = rng.random(len(back)) < 0.65  # typed the address or searched the brand
        inside = later < window.months
        back, later, organic = back[inside], later[inside], organic[inside]
        b_low, b_high = window.bounds[later], window.bounds[later + 1]
        b_day = (b_low + (rng.random(len(back)) * (b_high - b_low)).astype(np.int64)) // DAY
        b_start = np.minimum(b_day * DAY + time_of_day(rng, len(back)), b_high - 1)
        b_channel = np.where(organic, 0, s_ch[back])
        b_campaign = np.where(organic, -1, s_cmp[back])
        for target in np.unique(later):
            chosen = later == target
            pending[target].append(
                (b_start[chosen], visitor[back][chosen], b_channel[chosen], b_campaign[chosen])
            )
        pending[month] = []
        # events: page views of anonymous sessions, the steps of lead sessions
        anonymous = np.flatnonzero(kind < 2)
        pages = rng.geometric(1 - P_MORE_PAGES, len(anonymous))
        a_session = np.repeat(anonymous, pages)
        step = np.arange(len(a_session)) - np.repeat(np.cumsum(pages) - pages, pages)
        gaps = np.where(step > 0, 15 + (rng.random(len(a_session)) * 226).astype(np.int64), 0)
        elapsed = np.cumsum(gaps)
        a_at = start[a_session] + elapsed - elapsed[np.repeat(np.cumsum(pages) - pages, pages)]
        a_at = np.minimum(a_at, month_end - 1)
        row_of_key = np.empty(len(unique_key), np.int64)
        lead_session_rows = np.flatnonzero(kind == 2)
        row_of_key[order[lead_session_rows] - len(s_start) - len(r_start)] = lead_session_rows
        t_row = row_of_key[inverse]
        e_session = np.concatenate([a_session, t_row])
        e_at = np.concatenate([a_at, t_at])
        e_name = np.concatenate([np.zeros(len(a_session), np.int64), t_name])
        e_step = np.concatenate([step, np.arange(len(t_row))])
        e_order = np.lexsort((e_step, e_session))
        e_order = e_order[np.argsort(e_at[e_order], kind="stable")]
        e_session, e_at, e_name = e_session[e_order], e_at[e_order], e_name[e_order]
        events = len(e_at)
        table = pa.table(
            [
                id_array("evt", event_count + 1 + np.arange(events), width),
                pa.array(e_at * 1000, pa.timestamp("ms")),
                id_array("vis", visitor[e_session], 8),
                id_array("ses", session_number[e_session], 8),
                labels(EVENT_NAMES, e_name, encoded=True),
                labels(CHANNELS, s_ch[e_session], encoded=True),
                labels(campaign_ids, s_cmp[e_session], encoded=True),
            ],
            schema=SCHEMA,
        )
        if previous is not None:
            previous.result()  # at most two months in memory
        previous = out.submit(writer.write_table, table)
        event_count += events
    out.submit(writer.close)
    return event_count
