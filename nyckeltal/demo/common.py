"""Shared by every system of the demo generator: the window, time arithmetic on arrays of
epoch seconds, random streams, reference data (regions, currencies, plans) and id strings.

Everything is vectorised with numpy: timestamps are int64 seconds since 1970-01-01 (UTC),
dates int64 days since 1970-01-01, money int64 cents (exact: invoices are 12 x mrr to the
cent), categories small integers indexing a tuple of labels.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DEFAULT_SEED = 20241
END = dt.date(2026, 11, 15)  # last day with data, inclusive, at every scale
LAST_PAYROLL_MONTH = dt.date(2026, 10, 1)  # November's payroll runs on the 25th, after END
NORTH_AMERICA_LAUNCH = dt.date(2025, 3, 3)
DAY = 86_400
_EPOCH = dt.date(1970, 1, 1).toordinal()


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01."""
    return day.toordinal() - _EPOCH


def ts(day: dt.date, seconds: int = 0) -> int:
    """Seconds since the Unix epoch (UTC) of `day` plus `seconds`."""
    return day_number(day) * DAY + seconds


def date_of(days: int) -> dt.date:
    return dt.date.fromordinal(_EPOCH + int(days))


def add_months_date(day: dt.date, months: int) -> dt.date:
    return date_of(int(add_months(np.array([ts(day)]), np.array([months]))[0] // DAY))


def add_months(stamps: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """`stamps` (epoch seconds) plus whole months, the day clipped to the month's length
    (2025-01-31 + 1 month = 2025-02-28), the time of day kept."""
    days, seconds = np.divmod(stamps, DAY)
    as_days = days.astype("datetime64[D]")
    month = as_days.astype("datetime64[M]")
    day_of_month = (as_days - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.asarray(months, dtype=np.int64)
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    )
    new_days = target.astype("datetime64[D]").astype(np.int64) + np.minimum(
        day_of_month, length - 1
    )
    return new_days * DAY + seconds


def month_index(stamps: np.ndarray, start: dt.date) -> np.ndarray:
    """Months since the month of `start` (0 is the first month of data)."""
    months = (stamps // DAY).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months - (start.year - 1970) * 12 - (start.month - 1)


@dataclass(frozen=True)
class Window:
    """The data window: from the first day of a month to END (the last month incomplete)."""

    months: int

    @cached_property
    def start(self) -> dt.date:
        index = END.year * 12 + END.month - 1 - (self.months - 1)
        return dt.date(index // 12, index % 12 + 1, 1)

    @property
    def end(self) -> dt.date:
        return END

    @property
    def fx_start(self) -> dt.date:
        """Exchange rates start a month before the first transaction."""
        return add_months_date(self.start, -1)

    @property
    def start_ts(self) -> int:
        return ts(self.start)

    @property
    def end_ts(self) -> int:
        """Exclusive: nothing at or after the day after END."""
        return ts(END) + DAY

    @property
    def days(self) -> int:
        return (END - self.start).days + 1

    @cached_property
    def bounds(self) -> np.ndarray:
        """[first instant of month i, first instant of month i + 1) for i in 0..months, the
        last end clipped to the end of the data (months + 1 values)."""
        firsts = add_months(np.full(self.months + 1, self.start_ts), np.arange(self.months + 1))
        return np.minimum(firsts, self.end_ts)

    def month_start(self, index: int) -> dt.date:
        return add_months_date(self.start, index)

    @cached_property
    def day_numbers(self) -> np.ndarray:
        """Every day of the window, as days since 1970-01-01."""
        return np.arange(day_number(self.start), day_number(END) + 1)

    def trend(self, days: np.ndarray) -> np.ndarray:
        """Company growth: 1.0 on the first day, about 1.45 on the last."""
        return 1.0 + 0.45 * (days - day_number(self.start)) / max(1, self.days - 1)


def stream(seed: int, family: str) -> np.random.Generator:
    """An independent random stream per table family (the same on every platform)."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(family.encode())]))


# Seasonality of demand by calendar month (Swedish summer and Christmas are quiet).
SEASON = np.array([0, 1.1, 1.05, 1.05, 1.0, 1.0, 0.9, 0.6, 0.8, 1.1, 1.1, 1.05, 0.75])
# Web and lead traffic by UTC hour: European office hours plus the US afternoon.
_HOURS = np.array(
    [1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 13, 12, 13, 14, 14, 13, 11, 9, 7, 5, 3, 2, 1]
)
_HOUR_CUMULATIVE = np.cumsum(_HOURS) / _HOURS.sum()


def months_of(days: np.ndarray) -> np.ndarray:
    """Calendar month (1-12) of days since 1970-01-01."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12 + 1


def weekdays(days: np.ndarray) -> np.ndarray:
    """0 = Monday ... 6 = Sunday."""
    return (days + 3) % 7


def time_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    hour = np.searchsorted(_HOUR_CUMULATIVE, rng.random(n), side="right")
    return hour * 3600 + rng.integers(0, 3600, n)


def pick(rng: np.random.Generator, weights: np.ndarray, n: int | None = None) -> np.ndarray:
    """Indices drawn by weight: `weights` 1-d (n draws) or 2-d (one draw per row)."""
    weights = np.asarray(weights, dtype=float)
    if weights.ndim == 1:
        cumulative = np.cumsum(weights) / weights.sum()
        index = np.searchsorted(cumulative, rng.random(n), side="right")
        return np.minimum(index, len(weights) - 1)
    cumulative = np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True)
    index = (rng.random(len(weights))[:, None] >= cumulative).sum(axis=1)
    return np.minimum(index, weights.shape[1] - 1)


def weekday_in_month(rng: np.random.Generator, window: Window, months: np.ndarray) -> np.ndarray:
    """A random weekday (days since 1970) of each month index, not after END."""
    firsts, ends = window.bounds[months] // DAY, window.bounds[months + 1] // DAY
    out = firsts + (rng.random(len(months)) * (ends - firsts)).astype(np.int64)
    # Move weekend draws to the nearest weekday inside the month.
    weekday = weekdays(out)
    out = np.where(weekday == 5, np.where(out - 1 >= firsts, out - 1, out + 2), out)
    out = np.where(weekday == 6, np.where(out + 1 < ends, out + 1, out - 2), out)
    return out


# --- reference data ---------------------------------------------------------------------------

REGIONS = ("nordics", "dach", "uk_ie", "north_america")
REGION_LABELS = ("Nordics", "DACH", "UK & Ireland", "North America", "Europe")  # 4: none
COUNTRIES = ("SE", "NO", "DK", "FI", "DE", "AT", "CH", "GB", "IE", "US", "CA")
COUNTRY_WEIGHTS = np.array(  # per region, over COUNTRIES
    [
        [0.6, 0.15, 0.15, 0.1, 0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0.7, 0.15, 0.15, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0.75, 0.25, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0.85, 0.15],
    ]
)
LEGAL_FORMS = ("AB", "AS", "ApS", "Oy", "GmbH", "GmbH", "AG", "Ltd", "Ltd", "Inc", "Corp")
CURRENCIES = ("EUR", "SEK", "USD")
COUNTRY_CURRENCY = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2])  # SE: SEK, US/CA: USD
REGION_CURRENCY = np.array([1, 0, 0, 2, 0])  # nordics SEK, north_america USD, else EUR
PRICE_BOOK = np.array([1.0, 11.0, 1.1])  # local list price = EUR list price x factor
APPROX_EUR = np.array([1.0, 1 / 11.4, 0.91])  # approximate EUR value of one unit
SEGMENTS = ("smb", "mid_market", "enterprise")
CHANNELS = ("organic", "paid_search", "paid_social", "email", "referral", "events", "partner",
            "other")  # fmt: skip
WEB_CHANNELS = np.array([True, True, True, True, True, False, False, False])


def random_region(rng: np.random.Generator, days: np.ndarray, launch: dt.date) -> np.ndarray:
    """Region of a lead or deal: North America grows after its launch."""
    north_america = np.where(days >= day_number(launch), 0.2, 0.04)
    weights = np.column_stack(
        [np.full(len(days), 0.4), np.full(len(days), 0.25), np.full(len(days), 0.15), north_america]
    )
    return pick(rng, weights)


# --- arrays to Arrow ---------------------------------------------------------------------------


def id_array(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """`prefix_000123` strings of whole numbers (null where the number is 0 or less).

    Built as one fixed-width byte matrix (digit by digit), much faster than string kernels.
    """
    numbers = np.asarray(numbers, dtype=np.int64)
    width = max(width, len(str(int(numbers.max(initial=0)))))
    head = (prefix + "_").encode()
    size = len(head) + width
    rest = np.maximum(numbers, 0).astype(np.uint32 if width < 10 else np.int64)
    digits = []
    for _ in range(width):
        digits.append((rest % 10).astype(np.uint8) + 48)
        rest //= 10
    fixed = [np.full(len(numbers), byte, np.uint8) for byte in head]
    data = np.column_stack([*fixed, *digits[::-1]]) if len(numbers) else np.zeros(0, np.uint8)
    offsets = np.arange(len(numbers) + 1, dtype=np.int32) * size
    valid = numbers > 0
    validity = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    strings = pa.Array.from_buffers(
        pa.string(),
        len(numbers),
        [validity, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(data))],
    )
    if validity is not None:  # null slots hold "prefix_000"; make them empty
        strings = pc.if_else(pa.array(valid), strings, pa.scalar(None, pa.string()))
    return strings


def id_width(count: int, minimum: int = 4) -> int:
    return max(minimum, len(str(count)))


def labels(
    values: tuple[str | None, ...] | pa.Array, codes: np.ndarray, encoded: bool = False
) -> pa.Array:
    """The label of each code (codes index `values`; -1 is null); `encoded`: kept as an
    Arrow dictionary (written as a Parquet dictionary column, read back as strings)."""
    codes = np.asarray(codes, dtype=np.int32)
    dictionary = values if isinstance(values, pa.Array) else pa.array(values, pa.string())
    null = codes < 0
    indices = pa.array(np.maximum(codes, 0), mask=null if null.any() else None)
    array = pa.DictionaryArray.from_arrays(indices, dictionary)
    return array if encoded else array.cast(pa.string())


def money(cents: np.ndarray, scale: int = 2, precision: int = 18) -> pa.Array:
    """Exact decimals from whole numbers of the smallest unit (cents by default)."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0], words[:, 1] = cents, np.where(cents < 0, -1, 0)
    return pa.Array.from_buffers(
        pa.decimal128(precision, scale), len(cents), [None, pa.py_buffer(words.tobytes())]
    )


def timestamps(stamps: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(stamps, dtype=np.int64), pa.timestamp("s"), mask=null)


def dates(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(days, dtype=np.int32), pa.date32(), mask=null)


def cents(values: np.ndarray) -> np.ndarray:
    """Round amounts (in currency units) to whole cents, half away from zero."""
    return np.round(np.asarray(values, dtype=float) * 100).astype(np.int64)
