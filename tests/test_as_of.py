"""`nyckeltal run --as-of D` on the demo: a replay of an earlier day, and a backfill with it.

A regression test for dev-only checks leaking into the refresh: dbt unit tests whose expected
rows depend on a var used to fail every run with `--as-of`. Here D is two months before the
demo's last event; the scorecard must end in D's month, mark exactly the periods that ended
on or before D complete, and a `--from/--to` backfill with the same `--as-of` must succeed too.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from run_folders import runs_write_under
from shared_warehouses import copy_warehouse

from nyckeltal.cli import main
from nyckeltal.settings import published_path

pytestmark = pytest.mark.dbt


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` months earlier (clipped to the month's last day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    last_day = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
    return dt.date(year, month, min(day.day, last_day.day))


def last_event_day(warehouse: Path) -> dt.date:
    """The latest day with a web event or an invoice in the raw demo data."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(
            "select greatest("
            "(select max(cast(occurred_at as date)) from raw_marketing.web_events), "
            "(select max(cast(issued_at as date)) from raw_billing.invoices))"
        ).fetchone()[0]


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory, demo_loaded: Path) -> tuple[Path, dt.date]:
    """The demo loaded (a copy of the session's), then refreshed as of two months before its
    last event."""
    folder = tmp_path_factory.mktemp("as_of")
    warehouse = copy_warehouse(demo_loaded, folder)
    with pytest.MonkeyPatch.context() as patch:
        runs_write_under(patch, folder, alerts=True)
        as_of = months_before(last_event_day(warehouse), 2)
        assert main(["run", "--warehouse", str(warehouse), "--as-of", as_of.isoformat()]) == 0
    return warehouse, as_of


def published_rows(warehouse: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(published_path(warehouse)), read_only=True) as connection:
        return connection.execute(query).fetchall()


def test_months_before_clips_to_the_month_end() -> None:
    assert months_before(dt.date(2025, 6, 30), 2) == dt.date(2025, 4, 30)
    assert months_before(dt.date(2025, 4, 30), 2) == dt.date(2025, 2, 28)
    assert months_before(dt.date(2025, 1, 15), 2) == dt.date(2024, 11, 15)


def test_the_scorecard_ends_in_the_as_of_month(replay: tuple[Path, dt.date]) -> None:
    warehouse, as_of = replay
    [(last_month,)] = published_rows(
        warehouse,
        "select max(period_start) from marts.kpi_scorecard where period_grain = 'month'",
    )
    assert last_month == as_of.replace(day=1)
    [(published_as_of,)] = published_rows(
        warehouse, "select distinct as_of_date from marts.publication"
    )
    assert published_as_of == as_of


def test_complete_periods_are_those_ended_by_the_as_of_day(
    replay: tuple[Path, dt.date],
) -> None:
    warehouse, as_of = replay
    rows = published_rows(
        warehouse, "select period_end, is_complete_period from marts.kpi_scorecard"
    )
    assert rows
    wrong = [(end, complete) for end, complete in rows if complete != (end <= as_of)]
    assert not wrong, f"{len(wrong)} rows disagree with period_end <= {as_of}: {wrong[:5]}"
    assert {complete for _, complete in rows} == {True, False}


def test_a_backfill_with_as_of_succeeds(
    replay: tuple[Path, dt.date], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse, as_of = replay
    runs_write_under(monkeypatch, tmp_path, alerts=True)
    first = as_of - dt.timedelta(days=2)
    arguments = ["run", "--warehouse", str(warehouse), "--as-of", as_of.isoformat()]
    arguments += ["--from", first.isoformat(), "--to", as_of.isoformat()]
    assert main(arguments) == 0
    [(last_month,)] = published_rows(
        warehouse,
        "select max(period_start) from marts.kpi_scorecard where period_grain = 'month'",
    )
    assert last_month == as_of.replace(day=1)
