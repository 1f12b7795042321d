"""`nyckeltal load`: valid CSV and Parquet loads, UTC timestamps, re-loads, all-or-nothing."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from nyckeltal import cli
from nyckeltal.context import RunContext
from nyckeltal.contract import LOADED_AT_COLUMN, TABLES
from nyckeltal.horizon import DateWindow
from nyckeltal.loader import LoadError, load_directory
from nyckeltal.loading import warehouse as warehouse_module

MINIMAL = Path(__file__).parent / "fixtures" / "minimal"
WINDOW = DateWindow.after(dt.date(2026, 12, 7), 10)


def run_load(directory: Path, warehouse: Path, capsys: pytest.CaptureFixture) -> tuple:
    """Run `nyckeltal load DIR --warehouse PATH`: (exit code, stdout, stderr)."""
    code = cli.main(["load", str(directory), "--warehouse", str(warehouse)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def fingerprint(warehouse: Path) -> dict[str, tuple]:
    """Every table of the warehouse: its columns with types, and its rows in any order."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = connection.execute(
            "select schema_name, table_name from duckdb_tables() order by all"
        ).fetchall()
        result = {}
        for schema, name in tables:
            columns = connection.execute(
                "select column_name, data_type, is_nullable from duckdb_columns() "
                "where schema_name = ? and table_name = ? order by column_index",
                [schema, name],
            ).fetchall()
            # Every load stamps its own time: compare what was loaded, not when.
            stamp = " exclude (_loaded_at)" if columns[-1][0] == LOADED_AT_COLUMN else ""
            rows = connection.execute(f'select *{stamp} from "{schema}"."{name}"').fetchall()
            result[f"{schema}.{name}"] = (columns, sorted(rows, key=repr))
    return result


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def write_parquet(source: Path, target: Path) -> None:
    """Write every CSV of `source` as Parquet into `target`, typed the way tools write it.

    Timestamps with a time zone, money as double (list prices as integers), campaign dates
    as midnight timestamps: all compatible with the contract.
    """
    target.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as connection:
        connection.execute("set TimeZone = 'UTC'")
        for table in TABLES:
            columns = ", ".join(
                f"cast({column.name} as {_parquet_type(table.name, column.name, column.type)}) "
                f"as {column.name}"
                for column in table.columns
            )
            csv_path = source / f"{table.file_stem}.csv"
            parquet_path = target / f"{table.file_stem}.parquet"
            connection.execute(
                f"copy (select {columns} from read_csv('{csv_path}', all_varchar = true)) "
                f"to '{parquet_path}' (format parquet)"
            )


def _parquet_type(table: str, column: str, contract_type: str) -> str:
    if table == "plans" and column == "list_price":
        return "integer"
    if table == "campaigns" and contract_type == "date":
        return "timestamp"
    if contract_type.startswith("decimal(18,4)"):
        return "double"
    return {"timestamp": "timestamptz", "integer": "bigint"}.get(contract_type, contract_type)


def test_valid_csv_load_creates_contract_tables(
    minimal_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    warehouse = tmp_path / "new" / "folder" / "nyckeltal.duckdb"
    code, out, err = run_load(minimal_dataset, warehouse, capsys)
    assert (code, err) == (0, "")
    assert "raw_billing.invoices" in out and "15 tables, 46 rows" in out
    assert "  marketing.web_events" in out  # progress, one line per table
    for table in TABLES:
        columns = query(
            warehouse,
            "select column_name, data_type, is_nullable from duckdb_columns() "
            f"where schema_name = '{table.schema}' and table_name = '{table.name}' "
            "order by column_index",
        )
        expected = [(c.name, c.type.upper(), c.nullable) for c in table.columns]
        assert columns == [*expected, (LOADED_AT_COLUMN, "TIMESTAMP", False)], table.key
        lines = (MINIMAL / f"{table.file_stem}.csv").read_text().strip().splitlines()
        count = query(warehouse, f"select count(*) from {table.schema}.{table.name}")
        assert count == [(len(lines) - 1,)], table.key
        primary_keys = query(
            warehouse,
            "select constraint_column_names from duckdb_constraints() where constraint_type = "
            f"'PRIMARY KEY' and schema_name = '{table.schema}' and table_name = '{table.name}'",
        )
        assert primary_keys == [(list(table.primary_key),)]
    assert query(warehouse, "select amount from raw_billing.invoices where invoice_id = 'I4'") == [
        (Decimal("-49.0000"),)
    ]


def test_valid_parquet_load_matches_the_csv_load(
    minimal_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    csv_warehouse, parquet_warehouse = tmp_path / "csv.duckdb", tmp_path / "parquet.duckdb"
    assert run_load(minimal_dataset, csv_warehouse, capsys)[0] == 0
    write_parquet(minimal_dataset, tmp_path / "parquet")
    code, out, err = run_load(tmp_path / "parquet", parquet_warehouse, capsys)
    assert (code, err) == (0, ""), err
    assert "(billing__plans.parquet)" in out
    assert fingerprint(parquet_warehouse) == fingerprint(csv_warehouse)


def test_iso_timestamps_are_converted_to_utc(
    minimal_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    events = minimal_dataset / "marketing__web_events.csv"
    text = events.read_text()
    for old, new in [
        ("2024-01-02 08:59:00", "2024-01-02T10:59:00+02:00"),
        ("2024-01-02 09:00:00", "2024-01-02T09:00:00Z"),
        ("2024-01-05 12:00:00", "2024-01-05T12:00:00.250+00:00"),
        ("2024-01-06 07:55:00", "2024-01-05T21:55:00-10:00"),
    ]:
        text = text.replace(old, new)
    events.write_text(text)
    warehouse = tmp_path / "w.duckdb"
    assert run_load(minimal_dataset, warehouse, capsys)[0] == 0
    rows = query(warehouse, "select occurred_at from raw_marketing.web_events order by event_id")
    assert [row[0] for row in rows] == [
        dt.datetime(2024, 1, 2, 8, 59),
        dt.datetime(2024, 1, 2, 9, 0),
        dt.datetime(2024, 1, 5, 12, 0, 0, 250000),
        dt.datetime(2024, 1, 6, 7, 55),
    ]


def test_extra_columns_are_ignored(
    minimal_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    customers = minimal_dataset / "crm__customers.csv"
    lines = customers.read_text().splitlines()
    customers.write_text(
        "\n".join([f"_fivetran_synced,{lines[0]},notes"] + [f"x,{line}," for line in lines[1:]])
        + "\n"
    )
    warehouse = tmp_path / "w.duckdb"
    assert run_load(minimal_dataset, warehouse, capsys)[0] == 0
    columns = query(
        warehouse, "select column_name from duckdb_columns() where table_name = 'customers'"
    )
    assert [c[0] for c in columns] == [*(c.name for c in TABLES[0].columns), LOADED_AT_COLUMN]
    assert query(warehouse, "select count(*) from raw_crm.customers") == [(3,)]


def test_every_raw_table_is_stamped_with_the_utc_time_of_its_load(
    minimal_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    warehouse = tmp_path / "w.duckdb"
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert run_load(minimal_dataset, warehouse, capsys)[0] == 0
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    stamps = set()
    for table in TABLES:
        rows = query(
            warehouse,
            f"select count(*), count({LOADED_AT_COLUMN}), min({LOADED_AT_COLUMN}), "
            f"max({LOADED_AT_COLUMN}) from {table.schema}.{table.name}",
        )
        count, stamped, first, last = rows[0]
        assert count == stamped > 0 and first == last, table.key
        stamps.add(first)
    # One instant for the whole load, in UTC.
    assert len(stamps) == 1 and before <= stamps.pop() <= after


def test_reload_replaces_the_data(
    minimal_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    warehouse = tmp_path / "w.duckdb"
    assert run_load(minimal_dataset, warehouse, capsys)[0] == 0
    events = minimal_dataset / "marketing__web_events.csv"
    events.write_text("\n".join(events.read_text().splitlines()[:2]) + "\n")
    plans = minimal_dataset / "billing__plans.csv"
    plans.write_text(plans.read_text().replace("49.00,EUR", "59.00,EUR"))
    assert run_load(minimal_dataset, warehouse, capsys)[0] == 0
    assert query(warehouse, "select event_id from raw_marketing.web_events") == [("W1",)]
    assert query(warehouse, "select list_price from raw_billing.plans where plan_id = 'P1'") == [
        (Decimal("59.0000"),)
    ]


def test_failure_while_writing_rolls_everything_back(
    minimal_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch
) -> None:
    warehouse = tmp_path / "w.duckdb"
    assert run_load(minimal_dataset, warehouse, capsys)[0] == 0
    before = fingerprint(warehouse)
    (minimal_dataset / "marketing__web_events.csv").write_text(
        "event_id,occurred_at,visitor_id,session_id,event_name,channel,campaign_id\n"
        "W9,2024-03-01 10:00:00,V9,SE9,page_view,organic,\n"
    )
    original = warehouse_module.create_table_sql
    calls = []

    def failing_on_the_tenth_table(table, relation=None, loaded_at=False):
        calls.append(table.key)
        sql = original(table, relation, loaded_at)
        return sql if len(calls) < 10 else sql.replace("create table", "create tabel")

    monkeypatch.setattr(warehouse_module, "create_table_sql", failing_on_the_tenth_table)
    code, _, err = run_load(minimal_dataset, warehouse, capsys)
    assert code == 1
    assert "rolled back" in err and str(warehouse) in err
    assert fingerprint(warehouse) == before

    calls.clear()
    new_warehouse = tmp_path / "new.duckdb"
    assert run_load(minimal_dataset, new_warehouse, capsys)[0] == 1
    assert not new_warehouse.exists(), "a warehouse created by a failed load is removed"


def test_a_file_that_is_not_a_warehouse_is_reported(
    minimal_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    warehouse = tmp_path / "w.duckdb"
    warehouse.write_bytes(b"not a database")
    code, _, err = run_load(minimal_dataset, warehouse, capsys)
    assert code == 1 and f"{warehouse} is damaged (not a valid DuckDB database file)" in err
    assert warehouse.read_bytes() == b"not a database"


def test_locked_warehouse_is_reported(
    minimal_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    warehouse = tmp_path / "w.duckdb"
    assert run_load(minimal_dataset, warehouse, capsys)[0] == 0
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
            "sys.stdin.read()",
            str(warehouse),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        code, _, err = run_load(minimal_dataset, warehouse, capsys)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert code == 1
    assert "is locked by another process" in err and str(warehouse) in err


def test_validation_failure_does_not_create_the_warehouse(
    minimal_dataset: Path, tmp_path: Path
) -> None:
    (minimal_dataset / "crm__leads.csv").unlink()
    warehouse = tmp_path / "missing" / "w.duckdb"
    with pytest.raises(LoadError) as raised:
        load_directory(
            minimal_dataset, RunContext.build(warehouse=warehouse), progress=lambda line: None
        )
    # Without leads, the customers' lead_id values refer to an absent table.
    assert "crm__customers.csv, column lead_id: 2 rows refer to crm.leads" in str(raised.value)
    assert len(raised.value.problems) == 1
    assert not warehouse.parent.exists()


def test_a_missing_folder_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code, _, err = run_load(tmp_path / "nowhere", tmp_path / "w.duckdb", capsys)
    assert code == 1 and f"{tmp_path / 'nowhere'} is not a folder" in err


def test_report_summary_has_one_line_per_table(minimal_dataset: Path, tmp_path: Path) -> None:
    shown: list[str] = []
    report = load_directory(
        minimal_dataset, RunContext.build(warehouse=tmp_path / "w.duckdb"), progress=shown.append
    )
    lines = report.summary().splitlines()
    assert len(lines) == 1 + len(TABLES) + 1
    assert any(line.split()[:3] == ["raw_hr.payroll", "4", "rows"] for line in lines)
    assert lines[-1].startswith("15 tables, 46 rows in ") and lines[-1].endswith(" s")
    # One line per table written, the load manifest (raw_nyckeltal.tables_loaded) included.
    assert sum(line.startswith("  raw_") for line in shown) == len(TABLES) + 1


def test_line_numbers_account_for_quoted_line_breaks(
    minimal_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    customers = minimal_dataset / "crm__customers.csv"
    text = customers.read_text().replace("Acme AB", '"Acme\nAB"').replace(",mid_market,", ",mid,")
    customers.write_text(text)
    code, _, err = run_load(minimal_dataset, tmp_path / "w.duckdb", capsys)
    assert code == 1
    assert "record 3 (customer_id='C3'): segment='mid'" in err


def test_the_minimal_fixture_is_valid(tmp_path: Path) -> None:
    """Guards the shared fixture against being edited into an invalid state."""
    report = load_directory(
        MINIMAL, RunContext.build(warehouse=tmp_path / "w.duckdb"), progress=lambda line: None
    )
    assert report.rows == 46


def test_duckdb_resources_come_from_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nyckeltal.context import DuckDBLimits
    from nyckeltal.loader import _validation_database

    monkeypatch.setenv("NYCKELTAL_DUCKDB_MEMORY_LIMIT", "512MiB")
    monkeypatch.setenv("NYCKELTAL_DUCKDB_THREADS", "1")
    monkeypatch.setenv("NYCKELTAL_DUCKDB_TEMP_DIRECTORY", str(tmp_path / "spill"))
    (tmp_path / "spill").mkdir()
    limits = RunContext.build(warehouse=tmp_path / "w.duckdb").duckdb
    with _validation_database(tmp_path / "w.duckdb", limits) as connection:
        limit, threads, temp = connection.execute(
            "select current_setting('memory_limit'), current_setting('threads'), "
            "current_setting('temp_directory')"
        ).fetchone()
    assert (limit, threads) == ("512.0 MiB", 1)
    assert Path(temp).parent == tmp_path / "spill"
    assert list((tmp_path / "spill").iterdir()) == []  # the private spill folder is removed

    def limits() -> DuckDBLimits:
        return RunContext.build(warehouse=tmp_path / "w.duckdb").duckdb

    monkeypatch.setenv("NYCKELTAL_DUCKDB_MEMORY_LIMIT", "50%")
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert limits().memory_limit == f"{total // 2 >> 20}MiB"
    monkeypatch.delenv("NYCKELTAL_DUCKDB_MEMORY_LIMIT")
    assert limits().memory_limit == f"{int(total * 0.75) >> 20}MiB"
    monkeypatch.delenv("NYCKELTAL_DUCKDB_THREADS")
    assert limits().threads == len(os.sched_getaffinity(0))
    monkeypatch.delenv("NYCKELTAL_DUCKDB_TEMP_DIRECTORY")
    assert limits().temp_directory is None  # the load spills beside the warehouse


def test_the_fast_path_accepts_valid_files_and_stops_at_the_first_bad_one(
    minimal_dataset: Path,
) -> None:
    from nyckeltal.loading.files import discover
    from nyckeltal.loading.screen import screen

    shown: list[str] = []
    with duckdb.connect() as connection:
        connection.execute("set TimeZone = 'UTC'")
        staged = screen(connection, discover(minimal_dataset)[0], "EUR", WINDOW, shown.append)
        assert staged is not None and sum(table.rows for table in staged) == 46
        typed = connection.execute(
            "select data_type from duckdb_columns() where table_name = "
            "'staged_billing__invoices' and column_name = 'amount'"
        ).fetchone()
        assert typed == ("DECIMAL(18,4)",)
    nps = minimal_dataset / "crm__nps_responses.csv"
    nps.write_text(nps.read_text().replace("12:00:00,10,", "12:00:00,11,"))
    shown.clear()
    with duckdb.connect() as connection:
        connection.execute("set TimeZone = 'UTC'")
        assert screen(connection, discover(minimal_dataset)[0], "EUR", WINDOW, shown.append) is None
    assert shown[-1] == "  crm__nps_responses.csv has 1 invalid row: collecting every problem"
    assert not any("billing" in line for line in shown), "the screen stops at the first failure"
