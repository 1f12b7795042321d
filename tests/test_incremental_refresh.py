"""An incremental refresh of a partition window gives the same warehouse as a full build.

The bundled demo is loaded once and used twice. One copy is built in full (the reference).
The other first misses the raw rows of the daily-partitioned facts (web events, invoices,
ad spend) dated in a window at the end of the data, is built, then gets those rows back and is
refreshed with `dbt build --vars {partition_start_date, partition_end_date}` for the window:
only the window's days (facts) and months (funnel models) are recomputed. The window crosses
a month boundary, so two months of the monthly models are recomputed from partly old and
partly new days. Every mart and every partitioned model must then equal the reference row
by row (floats up to rounding: sums over rows in another physical order). Marked `dbt`:
two dbt builds of the demo here, and the session's full build (tests/conftest.py) as the
reference.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from float_rows import assert_same_rows
from run_folders import runs_write_under
from shared_warehouses import copy_warehouse

from nyckeltal.context import RunContext

pytestmark = pytest.mark.dbt

# The raw tables of the daily-partitioned facts and the SQL of their partition date.
RAW_FACT_DATES = {
    "raw_marketing.web_events": "cast(occurred_at as date)",
    "raw_billing.invoices": "cast(issued_at as date)",
    "raw_marketing.ad_spend": "spend_date",
}
PARTITIONED_MODELS = (
    "intermediate.int_web_events_daily",
    "intermediate.int_funnel_step_events_daily",
    "intermediate.int_invoices_converted",
    "intermediate.int_ad_spend_converted",
    "intermediate.int_visitor_funnel_steps_reached",
    "intermediate.int_visitor_funnel_monthly",
)


def _build(warehouse: Path, dbt_vars: dict[str, str] | None = None) -> None:
    from nyckeltal.dbt_runner import run_dbt

    run_dbt(
        ["build", "--exclude-resource-type", "unit_test", "-q"],
        RunContext.build(warehouse=warehouse),
        dbt_vars,
    )


def _snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    """Every mart and partitioned model, rows in a total order (floats compare exactly)."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        marts = connection.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema = 'marts' and table_type = 'BASE TABLE' order by 1"
        ).fetchall()
        # The insight marts rank segments and series by floating-point scores, where the
        # last-bit differences of an incremental sum may reorder ties; the KPI marts are the
        # contract this test holds.
        relations = [name for (name,) in marts if name not in INSIGHT_MARTS]
        relations += list(PARTITIONED_MODELS)
        return {
            relation: connection.execute(f"select * from {relation} order by all").fetchall()
            for relation in relations
        }


def _window(warehouse: Path) -> tuple[dt.date, dt.date]:
    """From two days before the first day of the last month of web events to the last day."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        (last_day,) = connection.execute(
            "select max(cast(occurred_at as date)) from raw_marketing.web_events"
        ).fetchone()
    return last_day.replace(day=1) - dt.timedelta(days=2), last_day


@pytest.fixture(scope="module")
def warehouses(
    tmp_path_factory: pytest.TempPathFactory,
    demo_loaded: Path,
    dbt_built_warehouse: Callable[[str | Path], Path],
) -> tuple[Path, Path, tuple[dt.date, dt.date], dict[str, list[tuple]]]:
    """(reference built in full, incrementally refreshed copy, window, copy's scorecard
    before the refresh). The reference is the session's full build of the demo (the same
    `dbt build` of the same load); the refreshed warehouse starts from a copy of the load."""
    folder = tmp_path_factory.mktemp("incremental")
    reference = dbt_built_warehouse("demo")
    refreshed = copy_warehouse(demo_loaded, folder, "refreshed.duckdb")
    with pytest.MonkeyPatch.context() as patch:
        runs_write_under(patch, folder)
        start, end = _window(refreshed)
        window = f"between cast('{start}' as date) and cast('{end}' as date)"

        with duckdb.connect(str(refreshed)) as connection:
            for table, date_sql in RAW_FACT_DATES.items():
                connection.execute(f"delete from {table} where {date_sql} {window}")
        _build(refreshed)
        before = _snapshot(refreshed)

        with duckdb.connect(str(refreshed)) as connection:
            connection.execute(f"attach '{reference}' as reference (read_only)")
            for table, date_sql in RAW_FACT_DATES.items():
                restored = connection.execute(
                    f"insert into {table} select * from reference.{table} where {date_sql} {window}"
                ).fetchone()
                assert restored is not None
        _build(
            refreshed,
            {"partition_start_date": start.isoformat(), "partition_end_date": end.isoformat()},
        )
    return reference, refreshed, (start, end), before


def test_the_window_holds_data_of_two_months(
    warehouses: tuple[Path, Path, tuple[dt.date, dt.date], dict[str, list[tuple]]],
) -> None:
    reference, _, (start, end), _ = warehouses
    assert start.month != end.month
    with duckdb.connect(str(reference), read_only=True) as connection:
        counts = {
            table: connection.execute(
                f"select count(*) from {table} where {date_sql} "
                f"between cast('{start}' as date) and cast('{end}' as date)"
            ).fetchone()[0]
            for table, date_sql in RAW_FACT_DATES.items()
        }
    assert counts["raw_marketing.web_events"] > 1000
    assert counts["raw_billing.invoices"] > 0
    assert counts["raw_marketing.ad_spend"] > 0


def test_the_build_without_the_window_differs_from_the_reference(
    warehouses: tuple[Path, Path, tuple[dt.date, dt.date], dict[str, list[tuple]]],
) -> None:
    reference, _, _, before = warehouses
    after = _snapshot(reference)
    assert before["marts.kpi_scorecard"] != after["marts.kpi_scorecard"]
    assert (
        before["intermediate.int_visitor_funnel_monthly"]
        != after["intermediate.int_visitor_funnel_monthly"]
    )


INSIGHT_MARTS = ("marts.kpi_anomalies", "marts.kpi_segment_callouts")


def test_an_incremental_refresh_equals_a_full_build_row_by_row(
    warehouses: tuple[Path, Path, tuple[dt.date, dt.date], dict[str, list[tuple]]],
) -> None:
    reference, refreshed, _, _ = warehouses
    expected, actual = _snapshot(reference), _snapshot(refreshed)
    assert sorted(actual) == sorted(expected)
    assert "marts.kpi_scorecard" in expected
    for relation, rows in expected.items():
        assert_same_rows(actual[relation], rows, relation)
