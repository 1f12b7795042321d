"""The insight marts on a planted scorecard: kpi_anomalies flags a planted jump and leaves
stable series alone, kpi_segment_callouts calls out a planted concentrated segment.

dbt builds only the two marts (with their contracts and data tests) on a warehouse whose
marts.kpi_scorecard is written here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest
from run_folders import runs_write_under

from nyckeltal.context import RunContext
from nyckeltal.dbt_runner import run_dbt

pytestmark = pytest.mark.dbt

STABLE = [2.0, 2.1, 1.9, 2.0, 2.05, 1.95, 2.0, 2.1, 1.9, 2.0, 2.05, 2.02]
MONTHS = [dt.date(2024, month, 1) for month in range(1, 13)]


def _month_end(start: dt.date) -> dt.date:
    following = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def _rows() -> list[tuple[Any, ...]]:
    rows = []
    for index, start in enumerate(MONTHS):
        last = index == len(MONTHS) - 1
        series = {
            # (segment_type, segment_value): (value, denominator)
            ("total", "all"): (STABLE[index], 1000.0),
            ("plan", "pro-y"): (STABLE[index] * 1.05, 500.0),
            # The planted jump, concentrated in one plan: 2.0 -> 6.2 in the last month.
            ("plan", "basic-m"): (6.2 if last else STABLE[index], 200.0),
            # Far off the total but too small a sample to be called out.
            ("plan", "tiny"): (20.0, 5.0),
        }
        for (segment_type, segment_value), (value, denominator) in series.items():
            rows.append(
                (
                    "churn_rate",
                    start,
                    _month_end(start),
                    "month",
                    segment_type,
                    segment_value,
                    value * denominator / 100,
                    denominator,
                    value,
                    "percent",
                    2.5,
                    "on_track",
                    None,
                    True,
                    False,
                )
            )
    return rows


@pytest.fixture(scope="module")
def insights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("insights")
    warehouse = folder / "planted.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        runs_write_under(patch, folder)
        with duckdb.connect(str(warehouse)) as connection:
            connection.execute("create schema marts")
            connection.execute(
                """
                create table marts.kpi_scorecard (
                    kpi_code varchar, period_start date, period_end date,
                    period_grain varchar, segment_type varchar, segment_value varchar,
                    numerator double, denominator double, value double, unit varchar,
                    target_value double, status varchar, previous_value double,
                    is_complete_period boolean, is_suppressed boolean
                )
                """
            )
            connection.executemany(
                "insert into marts.kpi_scorecard values "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _rows(),
            )
        run_dbt(
            ["build", "--select", "kpi_anomalies", "kpi_segment_callouts", "--quiet"],
            RunContext.build(warehouse=warehouse),
        )
    return warehouse


def _query(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_a_planted_kpi_jump_is_flagged(insights: Path) -> None:
    (jump,) = _query(
        insights,
        "select segment_value, period_start, direction, expected_value, robust_z "
        "from marts.kpi_anomalies where is_anomaly",
    )
    assert jump[:3] == ("basic-m", dt.date(2024, 12, 1), "above")
    assert jump[3] == pytest.approx(2.0)  # the median of its 11 earlier months
    assert jump[4] > 10  # far beyond the band's 3 robust standard deviations


def test_stable_series_are_not_flagged_and_short_history_is_not_judged(
    insights: Path,
) -> None:
    rows = _query(
        insights,
        "select segment_value, count(*), count(*) filter (where is_anomaly), "
        "count(*) filter (where direction = 'not_enough_history') "
        "from marts.kpi_anomalies group by 1 order by 1",
    )
    # Six months of history are needed: the first six months of each series are not judged.
    assert rows == [
        ("all", 12, 0, 6),
        ("basic-m", 12, 1, 6),
        ("pro-y", 12, 0, 6),
        ("tiny", 12, 0, 6),  # constant: never outside its band
    ]
    (band,) = _query(
        insights,
        "select expected_low, expected_high from marts.kpi_anomalies "
        "where segment_value = 'all' and period_start = date '2024-12-01'",
    )
    assert band[0] < 2.02 < band[1]
    (small,) = _query(
        insights,
        "select count(*) from marts.kpi_anomalies where direction = 'small_sample'",
    )
    assert small == (6,)  # tiny's 5 customers: judged never, whatever its value


def test_a_planted_concentrated_segment_is_called_out(insights: Path) -> None:
    # Only the planted month and segment: pro-y is 5 % off, tiny has 5 customers.
    (callout,) = _query(
        insights,
        "select period_start, segment_value, callout_rank, relative_deviation, callout_text "
        "from marts.kpi_segment_callouts order by period_start, callout_rank",
    )
    assert callout[:3] == (dt.date(2024, 12, 1), "basic-m", 1)
    assert callout[3] == pytest.approx(6.2 / 2.02 - 1)
    assert callout[4] == (
        "churn_rate in plan basic-m is 3.1x the company's (6.2 vs 2.02 percent, 20% of the base)"
    )
