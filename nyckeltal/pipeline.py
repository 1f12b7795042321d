"""The daily build: what `nyckeltal run` does.

For now: `dbt build` (seeds, models and their tests). Validation, orchestration and
publishing come behind this same function.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from nyckeltal.dbt_runner import DbtError, run_dbt
from nyckeltal.errors import NyckeltalError


class BuildError(NyckeltalError):
    """The dbt build failed."""


def build_vars(as_of: dt.date | None) -> dict[str, object]:
    return {"as_of_date": as_of.isoformat()} if as_of else {}


def run_daily_build(warehouse: Path, as_of: dt.date | None = None) -> None:
    if not warehouse.exists():
        raise NyckeltalError(
            f"no warehouse at {warehouse}: load data first (`nyckeltal demo` or "
            "`nyckeltal load DIR`)"
        )
    print(f"Building the warehouse {warehouse}" + (f" as of {as_of}" if as_of else ""))
    try:
        run_dbt(["build"], warehouse, build_vars(as_of))
    except DbtError as error:
        raise BuildError(str(error)) from None
