"""billing.fx_rates: ECB-style daily rates for SEK and USD on TARGET business days only.

HARD CASE: weekends and holidays have no rate (the demo's first day of data, 2024-09-01, is a
Sunday), so every conversion must carry the latest earlier rate. EUR, the reporting currency,
has no rows.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from nyckeltal.demo.common import Window, dates, day_number, money


def easter(year: int) -> dt.date:
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


def is_business_day(day: dt.date) -> bool:
    """TARGET2 calendar: no weekends, New Year, Good Friday, Easter Monday, 1 May, 25-26 Dec."""
    if day.weekday() >= 5 or (day.month, day.day) in {(1, 1), (5, 1), (12, 25), (12, 26)}:
        return False
    sunday = easter(day.year)
    return day not in (sunday - dt.timedelta(days=2), sunday + dt.timedelta(days=1))


def fx_rates(rng: np.random.Generator, window: Window) -> pa.Table:
    """A mean-reverting random walk of EUR/SEK and EUR/USD; rates to EUR with ten decimals."""
    first, last = window.fx_start.toordinal(), window.end.toordinal()
    days = [dt.date.fromordinal(o) for o in range(first, last + 1)]
    days = [day for day in days if is_business_day(day)]
    shocks = rng.normal(0, 1, (len(days), 2))
    eur_sek, eur_usd, rates = 11.42, 1.105, []
    for sek_shock, usd_shock in shocks:
        eur_sek *= np.exp(0.0035 * sek_shock + 0.02 * np.log(11.2 / eur_sek))
        eur_usd *= np.exp(0.0045 * usd_shock + 0.02 * np.log(1.12 / eur_usd))
        rates += [round(1e10 / round(eur_sek, 4)), round(1e10 / round(eur_usd, 4))]
    numbers = np.repeat([day_number(day) for day in days], 2)
    return pa.table(
        {
            "rate_date": dates(numbers),
            "currency": pa.array(["SEK", "USD"] * len(days)),
            "rate_to_reporting": money(np.array(rates, dtype=np.int64), scale=10),
        }
    )
