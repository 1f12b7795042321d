"""billing.plans, billing.subscriptions and billing.invoices: each customer's life.

Month by month, vectorised over all customers: monthly-billed customers churn (about 1.5 % of
logos a month, more for SMB and unhappy accounts), expand (at once, with a proration credit
note), contract (at the next billing date), cross-sell the other product line or drop one;
annual plans change only at renewal. Some churned customers come back months later. Monthly
plans are invoiced every month on their anniversary, annual plans once a year (12 x mrr).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nyckeltal.demo import hard_cases
from nyckeltal.demo.common import (
    COUNTRY_CURRENCY,
    CURRENCIES,
    DAY,
    PRICE_BOOK,
    Window,
    add_months,
    cents,
    date_of,
    day_number,
    id_array,
    id_width,
    labels,
    money,
    month_index,
    timestamps,
)
from nyckeltal.demo.crm import Customers

PRODUCT_LINES = ("analytics", "automation")
TIERS = ("starter", "pro", "enterprise")
MONTHLY_LIST_EUR = np.array([[249, 749, 2490], [349, 990, 3290]])  # line x tier
ANNUAL_MONTHS_CHARGED = 10  # an annual plan costs ten monthly list prices
MONTHLY_CHURN = np.array([0.036, 0.018, 0.009])  # by segment
RENEWAL_CHURN = np.array([0.25, 0.16, 0.1])
HEALTH_CHURN = np.array([0.5, 1.0, 2.5])  # good, neutral, poor
P_ANNUAL = np.array([0.15, 0.3, 0.55])
TIER_MIX = np.array([[0.7, 0.3, 0], [0, 0.7, 0.3], [0, 0, 1.0]])  # segment x tier
SIZE_RANGE = np.array([[0.9, 1.3], [0.9, 1.7], [1.1, 2.6]])  # seats x (1 - discount)
P_EXPAND, P_CONTRACT, P_CROSS_SELL, P_DROP_LINE = 0.011, 0.005, 0.004, 0.004
P_EXPAND_AT_RENEWAL, P_CONTRACT_AT_RENEWAL, P_RETURN = 0.15, 0.06, 0.08
PAID, OPEN, VOID, UNCOLLECTIBLE = 0, 1, 2, 3
STATUSES = ("paid", "open", "void", "uncollectible")


def plans() -> pa.Table:
    """2 product lines x 3 tiers x monthly/annual, list prices in EUR."""
    rows = []
    for line_code, line in enumerate(PRODUCT_LINES):
        for tier_code, tier in enumerate(TIERS):
            for interval, cadence in (("month", "monthly"), ("year", "annual")):
                price = MONTHLY_LIST_EUR[line_code, tier_code] * (
                    1 if interval == "month" else ANNUAL_MONTHS_CHARGED
                )
                name = f"{line.title()} {tier.title()} ({cadence})"
                rows.append((f"pln_{line}_{tier}_{cadence}", name, line, interval, price * 100))
    rows.sort()
    return pa.table(
        {
            "plan_id": [row[0] for row in rows],
            "plan_name": [row[1] for row in rows],
            "product_line": [row[2] for row in rows],
            "billing_interval": [row[3] for row in rows],
            "list_price": money(np.array([row[4] for row in rows])),
            "currency": ["EUR"] * len(rows),
        }
    )


def mrr_cents(line, tier, interval, size, currency) -> np.ndarray:
    """Monthly recurring amount in cents: whole units (tens of SEK), annual plans / 12."""
    step = np.where(currency == 1, 10, 1)
    local = MONTHLY_LIST_EUR[line, tier] * size * PRICE_BOOK[currency]
    monthly = np.maximum(step, np.round(local / step) * step) * 100
    yearly = np.maximum(step, np.round(local * ANNUAL_MONTHS_CHARGED / step) * step) * 100
    return np.where(interval == 1, monthly, np.round(yearly / 12)).astype(np.int64)


def next_anchor(anchor: np.ndarray, interval: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The number k of the first billing instant anchor + k x interval after `at` (k >= 0)."""
    months = month_index(at, date_of(0)) - month_index(anchor, date_of(0))
    k = np.maximum(0, months // interval - 1)
    for _ in range(3):
        k = np.where(add_months(anchor, k * interval) <= at, k + 1, k)
    return k


class Book:
    """Subscriptions (growing arrays) and the credit notes made while they change."""

    def __init__(self, customers: Customers, capacity: int) -> None:
        self.customers = customers
        self.n = 0
        self.customer = np.zeros(capacity, np.int64)  # customer number, 1-based
        self.line = np.zeros(capacity, np.int64)
        self.tier = np.zeros(capacity, np.int64)
        self.interval = np.zeros(capacity, np.int64)  # months: 1 or 12
        self.size = np.zeros(capacity, float)
        self.started = np.zeros(capacity, np.int64)
        self.anchor = np.zeros(capacity, np.int64)
        self.mrr = np.zeros(capacity, np.int64)  # cents
        self.ended = np.full(capacity, -1, np.int64)
        self.churned = np.zeros(capacity, bool)
        self.credits: list[tuple[np.ndarray, ...]] = []  # (customer, sub, line, at, cents)

    def _grow(self, extra: int) -> None:
        if self.n + extra <= len(self.customer):
            return
        size = max(2 * len(self.customer), self.n + extra)
        for name in ("customer", "line", "tier", "interval", "size", "started", "anchor",
                     "mrr", "churned"):  # fmt: skip
            old = getattr(self, name)
            new = np.zeros(size, old.dtype)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)
        ended = np.full(size, -1, np.int64)
        ended[: self.n] = self.ended[: self.n]
        self.ended = ended

    def add(self, customer, line, tier, interval, size, started, mrr=None) -> np.ndarray:
        """New subscriptions (arrays); their indices."""
        count = len(customer)
        self._grow(count)
        index = np.arange(self.n, self.n + count)
        currency = COUNTRY_CURRENCY[self.customers.country[customer - 1]]
        if mrr is None:
            mrr = mrr_cents(line, tier, interval, size, currency)
        for name, values in (("customer", customer), ("line", line), ("tier", tier),
                             ("interval", interval), ("size", size), ("started", started),
                             ("anchor", started), ("mrr", mrr)):  # fmt: skip
            getattr(self, name)[index] = values
        self.n += count
        return index

    def subscribe(self, customer, line, tier, interval, size, started, mrr_cents=None) -> int:
        mrr = None if mrr_cents is None else np.array([mrr_cents])
        one = [np.array([value]) for value in (customer, line, tier, interval, size, started)]
        return int(self.add(*one, mrr=mrr)[0])

    def end(self, sub: int, at: int, churned: bool) -> None:
        self.ended[sub], self.churned[sub] = at, churned

    def credit_note(self, customer: int, sub: int, line: int, at: int, amount: int) -> None:
        self.credits.append(tuple(np.array([v]) for v in (customer, sub, line, at, amount)))

    def anchors(self, sub: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(start of the current period, next billing instant) of each subscription at `at`."""
        anchor, interval = self.anchor[sub], self.interval[sub]
        k = next_anchor(anchor, interval, np.maximum(at, self.started[sub]))
        following = add_months(anchor, k * interval)
        previous = np.where(
            k == 0,
            self.started[sub],
            np.maximum(self.started[sub], add_months(anchor, np.maximum(k - 1, 0) * interval)),
        )
        return previous, following

    def change(self, sub, at, tier, size, credit: bool) -> np.ndarray:
        """End `sub` at `at` and start its successor at the same instant (expansion or
        contraction); with `credit`, refund the unused part of a monthly period."""
        self.ended[sub] = at
        if credit:
            start, end = self.anchors(sub, at)
            unused = (end - at) / np.maximum(1, end - start)
            amount = np.round(self.mrr[sub] * unused).astype(np.int64)
            # HARD CASE: a proration credit note (negative amount, status paid).
            due = (self.interval[sub] == 1) & (amount >= 100)
            d = sub[due]
            self.credits.append((self.customer[d], d, self.line[d], at[due], -amount[due]))
        return self.add(self.customer[sub], self.line[sub], tier, self.interval[sub], size, at)

    def trim(self) -> None:
        for name in ("customer", "line", "tier", "interval", "size", "started", "anchor",
                     "mrr", "ended", "churned"):  # fmt: skip
            setattr(self, name, getattr(self, name)[: self.n])


def _upgrade(rng, tier, size):
    up = (tier < 2) & (rng.random(len(tier)) < 0.5)
    return np.where(up, tier + 1, tier), np.where(up, size, size * rng.uniform(1.2, 1.5, len(size)))


def _downgrade(rng, tier, size):
    down = (tier > 0) & (rng.random(len(tier)) < 0.6)
    fewer = size * rng.uniform(0.6, 0.85, len(size))
    return np.where(down, tier - 1, tier), np.where(down, size, fewer)


def simulate(rng: np.random.Generator, window: Window, customers: Customers) -> Book:
    """Every subscription: the scripted ones, the first of each customer, then each month's
    churn, expansion, contraction, cross-sell, line drop and return."""
    book = Book(customers, capacity=3 * len(customers) + 64)
    hard_cases.scripted_billing(book, window.start_ts)
    life = _Life(rng, window, book)
    for month in range(window.months):
        life.month(month)
    book.trim()
    return book


class _Life:
    """The state of every customer (its active subscription per product line), advanced one
    month at a time for all customers at once."""

    def __init__(self, rng: np.random.Generator, window: Window, book: Book) -> None:
        customers = book.customers
        n = len(customers)
        self.rng, self.window, self.book = rng, window, book
        live = np.flatnonzero(~customers.scripted & (customers.start < window.end_ts))
        number, segment, m = live + 1, customers.segment[live], len(live)
        line = (rng.random(m) >= 0.62).astype(np.int64)
        tier = np.minimum((rng.random(m)[:, None] >= np.cumsum(TIER_MIX[segment], 1)).sum(1), 2)
        interval = np.where(rng.random(m) < P_ANNUAL[segment], 12, 1)
        size = rng.uniform(SIZE_RANGE[segment, 0], SIZE_RANGE[segment, 1])
        started = customers.start[live]
        self.slots = np.full((n, 2), -1, np.int64)  # active subscription per customer, line
        first = book.add(number, line, tier, interval, size, started)
        self.slots[live, line] = first
        b = np.flatnonzero(rng.random(m) < 0.08)  # both product lines from day one
        second = book.add(number[b], 1 - line[b], np.where(tier[b] == 0, 0, 1), interval[b],
                          size[b], started[b])  # fmt: skip
        self.slots[live[b], 1 - line[b]] = second
        # The opening book's annual plans keep their renewal date from the old billing system.
        renewal = customers.renewal[live]
        keep = (renewal >= 0) & (interval == 12)
        book.anchor[first[keep]] = renewal[keep]
        book.anchor[second[keep[b]]] = renewal[b][keep[b]]
        self.interval = np.zeros(n, np.int64)  # months between invoices (0: none yet)
        self.interval[live] = interval
        # The opening book lives from the first month; new customers from the month after.
        self.first_month = np.full(n, window.months, np.int64)
        opening = started == window.start_ts
        self.first_month[live] = np.where(opening, 0, month_index(started, window.start) + 1)
        self.return_at = np.full(n, -1, np.int64)
        self.churned_at = np.full(n, -1, np.int64)
        health = HEALTH_CHURN[customers.health]
        self.churn = MONTHLY_CHURN[customers.segment] * health
        self.renewal_churn = RENEWAL_CHURN[customers.segment] * health

    def month(self, month: int) -> None:
        low, high = self.window.bounds[month], self.window.bounds[month + 1]
        alive = self.first_month <= month
        count = (self.slots >= 0).sum(1)
        self.churned_at[:] = -1
        self._returns(alive & (count == 0), low, high)
        self._monthly(np.flatnonzero(alive & (count > 0) & (self.interval == 1)), count, low, high)
        self._renewals(np.flatnonzero(alive & (count > 0) & (self.interval == 12)), low, high)
        left = np.flatnonzero(self.churned_at >= 0)
        returns = left[self.rng.random(len(left)) < P_RETURN]
        later = (self.rng.uniform(90, 300, len(returns)) * DAY).astype(np.int64)
        self.return_at[returns] = self.churned_at[returns] + later

    def _returns(self, idle: np.ndarray, low: int, high: int) -> None:
        """HARD CASE: a churned customer comes back with a new monthly subscription."""
        back = np.flatnonzero(idle & (self.return_at >= low) & (self.return_at < high))
        if not len(back):
            return
        seg = self.book.customers.segment[back]
        line = self.rng.integers(0, 2, len(back))
        size = self.rng.uniform(SIZE_RANGE[seg, 0], SIZE_RANGE[seg, 1])
        tier, monthly = np.where(seg == 0, 0, 1), np.ones(len(back), np.int64)
        self.slots[back, line] = self.book.add(back + 1, line, tier, monthly, size,
                                               self.return_at[back])  # fmt: skip
        self.interval[back], self.return_at[back] = 1, -1

    def _change(self, who, chosen, at, before: int, step, credit: bool) -> None:
        """Move the subscriptions `chosen` (of customers `who`) to the tier and size `step`
        draws, at `at` when that is before `before`."""
        ok = at < before
        sub = chosen[ok]
        if len(sub):
            tier, size = step(self.rng, self.book.tier[sub], self.book.size[sub])
            new = self.book.change(sub, at[ok], tier, size, credit=credit)
            self.slots[who[ok], self.book.line[sub]] = new

    def _monthly(self, who: np.ndarray, count: np.ndarray, low: int, high: int) -> None:
        """One draw a month for each monthly-billed customer, on one of its subscriptions."""
        rng, book, slots, end_ts = self.rng, self.book, self.slots, self.window.end_ts
        k = len(who)
        draw = rng.random(k)
        instant = low + (rng.random(k) * (high - low)).astype(np.int64)
        pick_second = (count[who] == 2) & (rng.random(k) < 0.5) | (slots[who, 0] < 0)
        chosen = np.where(pick_second, slots[who, 1], slots[who, 0])
        churn = self.churn[who]
        cancels = draw < churn
        self._cancel(who[cancels], instant[cancels])
        rest = np.where(cancels, 1.0, draw - churn)
        # upgrade at once, with a proration credit
        e = rest < P_EXPAND
        at = np.maximum(instant[e], book.started[chosen[e]] + DAY)
        self._change(who[e], chosen[e], at, high, _upgrade, credit=True)
        # downgrade at the next billing date
        d = (rest >= P_EXPAND) & (rest < P_EXPAND + P_CONTRACT)
        _, at = book.anchors(chosen[d], instant[d])
        self._change(who[d], chosen[d], at, end_ts, _downgrade, credit=False)
        # cross-sell the other line
        limit = P_EXPAND + P_CONTRACT
        x = (rest >= limit) & (rest < limit + P_CROSS_SELL) & (count[who] == 1)
        at = np.maximum(instant[x], book.started[chosen[x]] + DAY)
        ok = at < high
        sub = chosen[x][ok]
        if len(sub):
            old_tier = book.tier[sub]
            new = book.add(book.customer[sub], 1 - book.line[sub],
                           np.where(old_tier == 2, 1, old_tier), np.ones(len(sub), np.int64),
                           book.size[sub], at[ok])  # fmt: skip
            slots[who[x][ok], 1 - book.line[sub]] = new
        # drop one of two lines at the next billing date
        limit += P_CROSS_SELL
        y = (rest >= limit) & (rest < limit + P_DROP_LINE) & (count[who] == 2)
        _, at = book.anchors(chosen[y], instant[y])
        ok = at < end_ts
        sub = chosen[y][ok]
        book.ended[sub] = at[ok]
        slots[who[y][ok], book.line[sub]] = -1

    def _cancel(self, who: np.ndarray, instant: np.ndarray) -> None:
        """Every subscription of `who` ends at the end of its paid period (unless that is
        after the end of the data: then nothing happens)."""
        book, slots = self.book, self.slots
        ends = np.full((len(who), 2), -1, np.int64)
        for slot in (0, 1):
            _, following = book.anchors(np.maximum(slots[who, slot], 0), instant)
            ends[:, slot] = np.where(slots[who, slot] >= 0, following, -1)
        ok = ends.max(1) < self.window.end_ts
        for slot in (0, 1):
            sub = slots[who[ok], slot]
            has = sub >= 0
            book.ended[sub[has]], book.churned[sub[has]] = ends[ok, slot][has], True
            slots[who[ok], slot] = -1
        self.churned_at[who[ok]] = ends[ok].max(1)

    def _renewals(self, yearly: np.ndarray, low: int, high: int) -> None:
        """Annual plans change only at renewal: churn, expansion or contraction."""
        rng, book, slots = self.rng, self.book, self.slots
        for slot in (0, 1):
            owner = yearly[slots[yearly, slot] >= 0]
            sub = slots[owner, slot]
            k = next_anchor(book.anchor[sub], book.interval[sub], np.full(len(sub), low - 1))
            renewal = add_months(book.anchor[sub], k * 12)
            due = (renewal >= low) & (renewal < high) & (renewal > book.started[sub])
            owner, sub, renewal = owner[due], sub[due], renewal[due]
            draw = rng.random(len(sub))
            churn = self.renewal_churn[owner]
            gone = draw < churn
            book.ended[sub[gone]], book.churned[sub[gone]] = renewal[gone], True
            slots[owner[gone], slot] = -1
            last = gone & ((slots[owner] >= 0).sum(1) == 0)
            self.churned_at[owner[last]] = renewal[last]
            up = ~gone & (draw < churn + P_EXPAND_AT_RENEWAL)
            if up.any():
                tier, size = _upgrade(rng, book.tier[sub[up]], book.size[sub[up]])
                slots[owner[up], slot] = book.change(sub[up], renewal[up], tier, size, False)
            down = ~gone & ~up & (draw < churn + P_EXPAND_AT_RENEWAL + P_CONTRACT_AT_RENEWAL)
            if down.any():
                tier, size = _downgrade(rng, book.tier[sub[down]], book.size[sub[down]])
                slots[owner[down], slot] = book.change(sub[down], renewal[down], tier, size, False)


# --- ids and tables ------------------------------------------------------------


def subscription_order(book: Book) -> tuple[np.ndarray, np.ndarray]:
    """(index in id order, the id number of each subscription): by start, then customer."""
    order = np.lexsort((book.customer, book.started))
    numbers = np.empty(book.n, np.int64)
    numbers[order] = np.arange(1, book.n + 1)
    return order, numbers


def subscriptions_table(book: Book, order: np.ndarray, customer_width: int) -> pa.Table:
    currency = COUNTRY_CURRENCY[book.customers.country[book.customer[order] - 1]]
    interval = book.interval[order]
    plan = (
        pa.array(["pln"] * len(order)),
        labels(PRODUCT_LINES, book.line[order]),
        labels(TIERS, book.tier[order]),
        labels(("monthly", "annual"), (interval == 12).astype(int)),
    )
    ended = book.ended[order]
    return pa.table(
        {
            "subscription_id": id_array("sub", np.arange(1, len(order) + 1), id_width(book.n)),
            "customer_id": id_array("cus", book.customer[order], customer_width),
            "plan_id": pc.binary_join_element_wise(*plan, "_").cast(pa.string()),
            "started_at": timestamps(book.started[order]),
            "ended_at": timestamps(np.maximum(ended, 0), ended < 0),
            "mrr": money(book.mrr[order]),
            "currency": labels(CURRENCIES, currency),
        }
    )


def _status(rng, window: Window, issued: np.ndarray, annual: np.ndarray) -> np.ndarray:
    """Recent invoices are often still open; a few old ones are overdue or written off."""
    recent = window.end_ts - issued < np.where(annual, 45, 30) * DAY
    draw = rng.random(len(issued))
    old = np.where(draw < 0.003, OPEN, np.where(draw < 0.005, UNCOLLECTIBLE, PAID))
    return np.where(recent, np.where(draw < 0.6, OPEN, PAID), old)


class Invoices:
    """billing.invoices in id order, column by column (sub: subscription number, 0 none)."""

    def __init__(self, **columns: np.ndarray) -> None:
        self.columns = columns

    def __len__(self) -> int:
        return len(self.columns["issued"])


def invoices(
    rng: np.random.Generator, window: Window, book: Book, sub_numbers: np.ndarray
) -> Invoices:
    """Each period of each subscription (annual: 12 x mrr), one-off onboarding fees, the
    credit notes, and the void (voided and reissued) and uncollectible cases."""
    end_ts = window.end_ts
    stop = np.minimum(np.where(book.ended < 0, end_ts, book.ended), end_ts)
    first_k = next_anchor(book.anchor, book.interval, book.started - 1)
    first_k = np.where(book.anchor >= book.started, 0, first_k)
    stop_k = next_anchor(book.anchor, book.interval, stop - 1)
    count = np.maximum(0, stop_k - first_k)
    sub = np.repeat(np.arange(book.n), count)
    k = np.arange(len(sub)) - np.repeat(np.cumsum(count) - count, count) + first_k[sub]
    issued = add_months(book.anchor[sub], k * book.interval[sub])
    valid = (issued >= book.started[sub]) & (issued < stop[sub])
    sub, issued, k = sub[valid], issued[valid], k[valid]
    n = len(sub)
    annual = book.interval[sub] == 12
    amount = book.mrr[sub] * book.interval[sub]
    customer = book.customer[sub]
    status = _status(rng, window, issued, annual)
    scripted = book.customers.scripted[customer - 1]
    last = np.zeros(n, bool)
    last[np.flatnonzero(np.diff(sub, append=-1) != 0)] = True  # the last period of each
    smb = book.customers.segment[customer - 1] == 0
    draw = rng.random(n)
    written_off = ~scripted & book.churned[sub] & last & smb & (draw < 0.35)
    status = np.where(written_off, UNCOLLECTIBLE, status)
    # HARD CASE: void and reissue (wrong VAT number, wrong address, ...), and the scripted one.
    voided = ~scripted & ~(book.churned[sub] & last) & (draw < 0.007)
    delay = rng.integers(1, 4, n) * DAY
    script = (customer == hard_cases.VOIDED_CUSTOMER) & (
        issued // DAY == day_number(hard_cases.VOIDED_ON)
    )
    voided |= script
    delay = np.where(script, DAY + 28800, delay)
    v = np.flatnonzero(voided)
    re_issued = np.minimum(issued[v] + delay[v], end_ts - 1)
    re_status = _status(rng, window, re_issued, annual[v])
    status[v] = VOID
    # HARD CASE: service credit notes (negative, paid), on the subscription or on none.
    credited = issued + rng.integers(3, 21, n) * DAY
    c = np.flatnonzero(~scripted & ~annual & (rng.random(n) < 0.004) & (credited < end_ts))
    linked = rng.random(len(c)) < 0.7
    credit = -np.round(amount[c] * rng.uniform(0.1, 0.5, len(c))).astype(np.int64)
    fee = _onboarding_fees(rng, window, book)
    changes = (
        [np.concatenate(part) for part in zip(*book.credits, strict=True)]
        if book.credits
        else [np.zeros(0, np.int64)] * 5
    )
    cc, cs, cl, ca, camount = changes
    parts = {
        "issued": (issued, re_issued, credited[c], fee["issued"], ca),
        "customer": (customer, customer[v], customer[c], fee["customer"], cc),
        "sub": (sub, sub[v], np.where(linked, sub[c], -1), np.full(len(fee["issued"]), -1), cs),
        "line": (book.line[sub], book.line[sub[v]], book.line[sub[c]], fee["line"], cl),
        "amount": (amount, amount[v], credit, fee["amount"], camount),
        "status": (status, re_status, np.full(len(c), PAID), fee["status"], np.full(len(ca), PAID)),
    }
    columns = {name: np.concatenate(values).astype(np.int64) for name, values in parts.items()}
    number = np.where(columns["sub"] >= 0, sub_numbers[np.maximum(columns["sub"], 0)], 0)
    columns["sub"] = number
    order = np.lexsort((number, columns["customer"], columns["issued"]))
    return Invoices(**{name: values[order] for name, values in columns.items()})


def _onboarding_fees(rng, window: Window, book: Book) -> dict[str, np.ndarray]:
    """One-off implementation fees of larger new customers with a lead (no subscription)."""
    customers = book.customers
    first = np.full(len(customers), -1, np.int64)
    order = np.arange(book.n)[::-1]  # the earliest-made subscription of each customer wins
    first[book.customer[order] - 1] = order
    who = np.flatnonzero((first >= 0) & (customers.lead > 0) & (customers.segment > 0))
    segment = customers.segment[who]
    who = who[rng.random(len(who)) < np.where(segment == 1, 0.5, 0.9)]
    segment = customers.segment[who]
    low = np.where(segment == 1, 1500, 5000)
    high = np.where(segment == 1, 4000, 15000)
    currency = COUNTRY_CURRENCY[customers.country[who]]
    amount = np.round(rng.uniform(low, high) * PRICE_BOOK[currency], -1)
    sub = first[who]
    issued = np.minimum(book.started[sub] + rng.integers(0, 3, len(who)) * DAY, window.end_ts - 1)
    return {"issued": issued, "customer": who + 1, "line": book.line[sub],
            "amount": cents(amount),
            "status": _status(rng, window, issued, np.zeros(len(who), bool))}  # fmt: skip


def invoice_table(chunk: dict[str, np.ndarray], first_number: int, widths: dict[str, int],
                  customers: Customers) -> pa.Table:  # fmt: skip
    n = len(chunk["issued"])
    currency = COUNTRY_CURRENCY[customers.country[chunk["customer"] - 1]]
    return pa.table(
        {
            "invoice_id": id_array("inv", np.arange(first_number, first_number + n), widths["inv"]),
            "customer_id": id_array("cus", chunk["customer"], widths["cus"]),
            "subscription_id": id_array("sub", chunk["sub"], widths["sub"]),
            "product_line": labels(PRODUCT_LINES, chunk["line"]),
            "issued_at": timestamps(chunk["issued"]),
            "amount": money(chunk["amount"]),
            "currency": labels(CURRENCIES, currency),
            "status": labels(STATUSES, chunk["status"]),
        }
    )
