"""The daily models end with the reporting window, never at the furthest date of the data.

One employee of the minimal dataset leaves on 2035-12-31 (inside the loader's horizon, a
planned contract end): the calendar, the daily exchange rates and the daily FTE still end with
the as_of month, as without that date, and the published FTE is the same.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

MINIMAL = Path(__file__).parent / "fixtures" / "minimal"
FAR_TERMINATION = dt.date(2035, 12, 31)

pytestmark = pytest.mark.dbt


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory, dbt_built_warehouse: Callable[[str | Path], Path]
) -> Path:
    dataset = tmp_path_factory.mktemp("far_termination") / "dataset"
    shutil.copytree(MINIMAL, dataset)
    employees = dataset / "hr__employees.csv"
    text = employees.read_text(encoding="utf-8")
    old = "E2,marketing,,2023-06-01,,0.8"
    assert old in text
    employees.write_text(text.replace(old, f"E2,marketing,,2023-06-01,{FAR_TERMINATION},0.8"))
    return dbt_built_warehouse(dataset)


def one(warehouse: Path, sql: str) -> tuple:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchone()


def test_the_daily_models_end_with_the_reporting_window(built: Path) -> None:
    as_of, last_event, calendar_end = one(
        built,
        "select as_of_date, last_event_date, calendar_end_date "
        "from intermediate.int_reporting_window",
    )
    as_of_month_end = (as_of.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    as_of_month_end -= dt.timedelta(days=1)
    assert calendar_end == max(last_event, as_of_month_end) < FAR_TERMINATION
    for relation, column in (
        ("intermediate.int_calendar_days", "calendar_date"),
        ("intermediate.int_workforce_fte_daily", "calendar_date"),
    ):
        assert one(built, f"select max({column}) from {relation}") == (calendar_end,), relation
    # The rates also cover the end of the 2024 market research (converted at period_end),
    # that one day only.
    assert one(
        built,
        "select max(rate_date), count(*) filter (where rate_date > "
        f"'{calendar_end}') from intermediate.int_fx_rates_daily where currency = 'USD'",
    ) == (dt.date(2024, 12, 31), 1)
    spine_end = one(built, "select max(date_day) from semantic.metricflow_time_spine")[0]
    assert spine_end.year <= calendar_end.year + 1


def test_the_published_fte_counts_the_employee_until_the_end_of_the_window(built: Path) -> None:
    """E2 (0.8 FTE, hired 2023-06-01) is active on every day of every published month."""
    months, complete = one(
        built,
        "select count(*), count(*) filter (where abs(average_fte - 0.8) < 1e-9) "
        "from intermediate.int_workforce_fte_monthly where department = 'marketing'",
    )
    assert months >= 1 and complete == months
