"""The scripted hard cases, the same whatever the seed and scale.

Billing, on the first six customers (imported with the opening book on the first day):
cus_0001 churns and returns, cus_0002 holds the MRR tie, cus_0003 upgrades (USD, proration
credit), cus_0004 downgrades, cus_0005 pays annually (SEK, and a credit note without
subscription), cus_0006 has a void invoice. HR: a mid-month hire, a part-time leaver, a
half-time hire. The random simulation adds more of each (see `billing`, `hr`, `web`).

Every other hard case is made where its table is made and marked ``HARD CASE`` there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nyckeltal.demo.common import Window, ts

if TYPE_CHECKING:
    from nyckeltal.demo.billing import Book


@dataclass(frozen=True)
class ScriptedCustomer:
    name: str
    segment: int  # codes of common.SEGMENTS, REGIONS, COUNTRIES, CHANNELS, crm.HEALTH
    region: int
    country: int
    channel: int
    health: int = 1


CUSTOMERS = (
    ScriptedCustomer("Lindqvist Bygg AB", 0, 0, 0, 4, health=2),  # SE, referral, poor
    ScriptedCustomer("Alpenblick Logistik GmbH", 1, 1, 4, 6),  # DE, partner
    ScriptedCustomer("Harborview Freight Inc", 1, 3, 9, 5),  # US, events
    ScriptedCustomer("Thames Valley Clinics Ltd", 1, 2, 7, 0),  # GB, organic
    ScriptedCustomer("Kvarnberg Energi AB", 2, 0, 0, 6, health=0),  # SE, partner, good
    ScriptedCustomer("Fjordline Retail AS", 0, 0, 1, 0),  # NO, organic
)
VOIDED_CUSTOMER = 6  # its invoice of VOIDED_ON is voided and reissued the next day
VOIDED_ON = dt.date(2025, 1, 1)
# line and tier codes: billing.PRODUCT_LINES (analytics, automation), TIERS (starter, pro,
# enterprise); interval in months.


def scripted_billing(book: Book, start: int) -> None:
    """The billing hard cases, on `book` (a billing.Book)."""
    # HARD CASE: churn and return. All subscriptions end on 2025-03-01; a new one starts
    # 2025-10-14, seven months later.
    first = book.subscribe(1, 0, 0, 1, 1.0, start)
    book.end(first, ts(dt.date(2025, 3, 1)), churned=True)
    book.subscribe(1, 0, 1, 1, 1.0, ts(dt.date(2025, 10, 14), 34200))
    # HARD CASE: two simultaneous subscriptions on different plans with equal MRR (a tie).
    book.subscribe(2, 0, 1, 1, 2.0, start, mrr_cents=149_000)
    book.subscribe(2, 1, 1, 1, 1.5, start, mrr_cents=149_000)
    # HARD CASE: expansion in USD: pro -> enterprise mid-period, at the same instant, with a
    # proration credit note for the rest of the period.
    pro = book.subscribe(3, 0, 1, 1, 1.6, start)
    book.change(np.array([pro]), np.array([ts(dt.date(2025, 6, 16), 36000)]), np.array([2]),
                np.array([1.6]), credit=True)  # fmt: skip
    # HARD CASE: contraction at the billing date: enterprise -> pro.
    enterprise = book.subscribe(4, 1, 2, 1, 1.2, start)
    book.change(np.array([enterprise]), np.array([ts(dt.date(2025, 9, 1))]), np.array([1]),
                np.array([1.2]), credit=False)  # fmt: skip
    # HARD CASE: an annual plan in SEK (invoiced 12 x mrr each year on the first day's
    # anniversary), and a service credit note without subscription.
    book.subscribe(5, 0, 2, 12, 2.5, start)
    book.credit_note(5, -1, 0, ts(dt.date(2025, 5, 20), 50400), -500_000)
    # The void invoice of customer 6 is made with the invoices (billing.invoices).
    book.subscribe(6, 1, 0, 1, 1.0, start)


@dataclass(frozen=True)
class ScriptedEmployee:
    department: str
    product_line: str | None
    hired_on: dt.date
    fte: float
    salary: float  # SEK a month, full time
    terminated_on: dt.date | None = None


EMPLOYEES = (
    # HARD CASE: a mid-month hire (a Monday, the 17th).
    ScriptedEmployee("engineering", "analytics", dt.date(2025, 3, 17), 1.0, 64000.0),
    # HARD CASE: a part-time (0.8) leaver, last day worked mid-month.
    ScriptedEmployee("marketing", None, dt.date(2022, 5, 2), 0.8, 49000.0, dt.date(2025, 11, 14)),
    # HARD CASE: a half-time (0.5) support agent hired mid-month.
    ScriptedEmployee("support", None, dt.date(2025, 6, 9), 0.5, 37000.0),
)


def relationship_surveys(window: Window) -> list[int]:
    """The relationship NPS survey, the second Monday of March and September, 07:00."""
    surveys = []
    for year in range(window.start.year, window.end.year + 1):
        for month in (3, 9):
            day = dt.date(year, month, 8)
            day += dt.timedelta(days=(7 - day.weekday()) % 7)
            if window.start <= day <= window.end:
                surveys.append(ts(day, 25200))
    return surveys


def engagement_surveys(window: Window) -> list[dt.date]:
    """The anonymous engagement survey, every 15 April and 15 October."""
    days = [dt.date(year, month, 15) for year in range(window.start.year, window.end.year + 1)
            for month in (4, 10)]  # fmt: skip
    return [day for day in days if window.start <= day <= window.end]
