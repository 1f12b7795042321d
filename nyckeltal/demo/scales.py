"""The named dataset sizes of `nyckeltal generate --scale` (and of the benchmark).

`factor` multiplies customers, leads, campaigns and employees (management excepted);
`visitors` multiplies the anonymous web traffic the analytics tool records (organic,
referral, partner, QR codes, and tracked ad clicks: with visitors < factor fewer clicks pass
the consent banner); the lead trails on the web follow the leads. The demo records
DEMO_VISITORS of that traffic (the rest browses with tracking blocked), so that 1-3 % of a
month's recorded visitors purchase, as on a small B2B SaaS site; the benchmark scales keep
their web volumes (their visitor conversion is lower, about 0.1 %). `months` is the length of
the window, which always ends on 2026-11-15 (the last month incomplete). The benchmark
imports `SCALES`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    factor: float
    visitors: float
    months: int
    parquet: bool = True  # every table in Parquet; otherwise CSV but for web events
    description: str = ""

    def __post_init__(self) -> None:
        if not (self.factor > 0 and self.visitors > 0 and 12 <= self.months <= 60):
            raise ValueError(f"scale must be positive with 12-60 months, got {self!r}")


DEMO_VISITORS = 0.07
TINY_FACTOR = 0.065

SCALES: dict[str, Scale] = {
    scale.name: scale
    for scale in (
        # The size of the smallest companies the product serves: its fixed costs (validation,
        # dbt's per-model overhead) are what such a refresh pays.
        Scale(
            "tiny",
            TINY_FACTOR,
            TINY_FACTOR * DEMO_VISITORS,
            27,
            False,
            description="a 40-customer company: ~37 customers, ~7k rows",
        ),
        Scale(
            "demo",
            1.0,
            DEMO_VISITORS,
            27,
            False,
            description="the bundled demo: ~600 customers, ~36k web events",
        ),
        Scale("s", 4.0, 4.0, 27, description="~2.3k customers, ~1M web events"),
        Scale("m", 40.0, 40.0, 27, description="~23k customers, ~10M web events, ~320k invoices"),
        Scale("l", 1340.0, 215.0, 36, description="~1M customers, ~100M web events, ~15M invoices"),
    )
}


def resolve(scale: str | float | Scale) -> Scale:
    """A named scale, or a number: that factor on the demo window (numbers write CSV too)."""
    if isinstance(scale, Scale):
        return scale
    if isinstance(scale, str) and scale in SCALES:
        return SCALES[scale]
    try:
        factor = float(scale)
    except (TypeError, ValueError):
        names = ", ".join(SCALES)
        raise ValueError(f"unknown scale {scale!r}: one of {names} or a positive number") from None
    if not factor > 0:
        raise ValueError(f"scale must be positive, got {scale!r}")
    if factor == SCALES["demo"].factor:
        return SCALES["demo"]
    demo = SCALES["demo"]
    return Scale(f"{factor:g}", factor, factor * demo.visitors, demo.months, parquet=False)
