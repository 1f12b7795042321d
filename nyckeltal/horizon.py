"""The span of dates the raw data may hold: from 1970-01-01 to a horizon after today.

A date far in the future (`terminated_on = 9999-12-31`) is a typo or a placeholder, never
data; one such date used to stretch every daily model to it. Real data holds planned dates
(a contract end, a planned leave, a market forecast) a year or two ahead, so the horizon is
generous: NYCKELTAL_DATE_HORIZON_YEARS (default 10) years after the date of the load or the
validation run. The loader and the Great Expectations source suites both refuse dates and
timestamps outside the span.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

EARLIEST_DATE = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class DateWindow:
    """The first and the last date (inclusive) a raw date or timestamp may take."""

    earliest: dt.date
    latest: dt.date
    horizon_years: int

    @classmethod
    def after(cls, today: dt.date, horizon_years: int) -> DateWindow:
        """From 1970-01-01 to `horizon_years` after `today` (29 February: the 28th)."""
        leap_day = (today.month, today.day) == (2, 29)
        latest = today.replace(year=today.year + horizon_years, day=28 if leap_day else today.day)
        return cls(EARLIEST_DATE, latest, horizon_years)

    def describe(self) -> str:
        """`from 1970-01-01 to 2036-12-07, 10 years after today`, for messages."""
        return (
            f"from {self.earliest.isoformat()} to {self.latest.isoformat()}, "
            f"{self.horizon_years} years after today (NYCKELTAL_DATE_HORIZON_YEARS)"
        )
