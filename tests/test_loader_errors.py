"""`nyckeltal load` with bad files: every problem is reported, the warehouse stays as it was.

Each case breaks one thing in a copy of the minimal dataset, runs the CLI against a copy of
a warehouse loaded with the valid dataset, and checks the exit code, that the message names
the file, the column and the offending row and value, and that the warehouse did not change
(not a byte: a failed validation never opens it).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from nyckeltal import cli
from nyckeltal.loader import load_directory

MINIMAL = Path(__file__).parent / "fixtures" / "minimal"
Breaker = Callable[[Path], None]


@pytest.fixture(scope="module")
def loaded_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list]]:
    """A warehouse holding the valid minimal dataset, and its fingerprint (loaded once)."""
    warehouse = tmp_path_factory.mktemp("loaded") / "nyckeltal.duckdb"
    load_directory(MINIMAL, warehouse, progress=lambda line: None)
    return warehouse, raw_fingerprint(warehouse)


@pytest.fixture
def warehouse(loaded_warehouse: tuple[Path, dict[str, list]], tmp_path: Path) -> Path:
    """A private copy of the loaded warehouse."""
    copy = tmp_path / "warehouse" / "nyckeltal.duckdb"
    copy.parent.mkdir()
    shutil.copyfile(loaded_warehouse[0], copy)
    return copy


def raw_fingerprint(warehouse: Path) -> dict[str, list]:
    """Every raw table's rows, order-independent."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = connection.execute(
            "select schema_name, table_name from duckdb_tables() order by all"
        ).fetchall()
        return {
            f"{schema}.{name}": sorted(
                connection.execute(f"select * from {schema}.{name}").fetchall(), key=repr
            )
            for schema, name in tables
        }


def replace(stem: str, old: str, new: str) -> Breaker:
    """Replace the first `old` in `<stem>.csv` by `new`."""

    def breaker(directory: Path) -> None:
        path = directory / f"{stem}.csv"
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {path.name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return breaker


def append(stem: str, line: str) -> Breaker:
    def breaker(directory: Path) -> None:
        with (directory / f"{stem}.csv").open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    return breaker


def write(name: str, content: bytes, remove: str | None = None) -> Breaker:
    """Write the file `name` (and remove the file `remove`)."""

    def breaker(directory: Path) -> None:
        (directory / name).write_bytes(content)
        if remove:
            (directory / remove).unlink()

    return breaker


def drop_column(stem: str, column: str) -> Breaker:
    def breaker(directory: Path) -> None:
        path = directory / f"{stem}.csv"
        rows = [line.split(",") for line in path.read_text().splitlines()]
        index = rows[0].index(column)
        path.write_text("\n".join(",".join(r[:index] + r[index + 1 :]) for r in rows) + "\n")

    return breaker


def not_utf8(directory: Path) -> None:
    path = directory / "crm__customers.csv"
    path.write_bytes(path.read_bytes().replace(b"Initech GmbH", b"Initech G\xe4mbH"))


def plans_parquet(list_price: str, keep_csv: bool = False) -> Breaker:
    """Write billing__plans.parquet, list_price being the SQL `list_price`, instead of the CSV."""

    def breaker(directory: Path) -> None:
        csv_path, parquet_path = (
            directory / "billing__plans.csv",
            directory / "billing__plans.parquet",
        )
        duckdb.execute(
            f"copy (select * replace ({list_price} as list_price) from read_csv('{csv_path}', "
            f"all_varchar = true)) to '{parquet_path}' (format parquet)"
        )
        if not keep_csv:
            csv_path.unlink()

    return breaker


CASES = [
    pytest.param(
        write("README.md", b"x", remove="hr__payroll.csv"),
        ["hr__payroll.csv|.parquet: missing: hr.payroll is required", "README.md: matches no"],
        id="missing-file-and-unknown-file",
    ),
    pytest.param(
        write("crm__customer.csv", b"customer_id\nC1\n"),
        ["crm__customer.csv: matches no contract table", "did you mean crm__customers.csv?"],
        id="file-matching-no-table",
    ),
    pytest.param(
        plans_parquet("cast(list_price as double)", keep_csv=True),
        ["billing__plans.csv and billing__plans.parquet: two files for billing.plans, keep one"],
        id="csv-and-parquet-for-one-table",
    ),
    pytest.param(
        drop_column("crm__customers", "segment"),
        ["crm__customers.csv, column segment: missing (the file has: customer_id, created_at"],
        id="missing-column",
    ),
    pytest.param(
        replace("crm__nps_responses", "11:00:00,6,", "11:00:00,six,"),
        [
            "crm__nps_responses.csv, column score: 1 row with a value that is not a whole number",
            "line 3 (response_id='N2'): score='six'",
        ],
        id="wrong-type-integer",
    ),
    pytest.param(
        replace("billing__invoices", "2024-02-15 12:00:00", "15/02/2024 12:00"),
        [
            "billing__invoices.csv, column issued_at: 1 row with a value that is not a timestamp",
            "line 6 (invoice_id='I5'): issued_at='15/02/2024 12:00'",
        ],
        id="wrong-type-timestamp",
    ),
    pytest.param(
        replace("hr__employees", "2023-06-01", "2023-06-01 08:00:00"),
        [
            "hr__employees.csv, column hired_on: 1 row with a value that is not a date",
            "line 3 (employee_id='E2'): hired_on='2023-06-01 08:00:00'",
        ],
        id="wrong-type-date",
    ),
    pytest.param(
        replace("marketing__expenses", "2500.00", "2500 EUR"),
        [
            "marketing__expenses.csv, column amount: 1 row with a value that is not a number",
            "line 2 (expense_id='X1'): amount='2500 EUR'",
        ],
        id="wrong-type-decimal",
    ),
    pytest.param(
        plans_parquet("list_price"),
        [
            "billing__plans.parquet, column list_price: has the Parquet type VARCHAR",
            "row 1 (plan_id='P1'): list_price='49.00'",
        ],
        id="parquet-string-where-a-number-is-expected",
    ),
    pytest.param(
        replace("billing__invoices", "500.00,USD,open", "500.00,USD,"),
        [
            "billing__invoices.csv, column status: 1 row with no value (the column is required)",
            "line 6 (invoice_id='I5'): status=null",
        ],
        id="required-value-missing",
    ),
    pytest.param(
        append("crm__customers", "C1,2024-01-04 10:00:00,Acme Again,smb,nordics,SE,organic,,"),
        [
            "crm__customers.csv, column customer_id: 1 key value used more than once",
            "(customer_id='C1') appears 2 times: line 2, line 5",
        ],
        id="duplicate-primary-key",
    ),
    pytest.param(
        append("hr__payroll", "E1,2024-01-01,1.00,1.00,EUR"),
        [
            "hr__payroll.csv, columns employee_id, pay_month: 1 key combination used more than",
            "(employee_id='E1', pay_month=2024-01-01) appears 2 times: line 2, line 6",
        ],
        id="duplicate-composite-primary-key",
    ),
    pytest.param(
        replace("crm__customers", ",smb,", ",small_business,"),
        [
            "crm__customers.csv, column segment: 1 row with a value that is not one of: smb, "
            "mid_market, enterprise",
            "line 2 (customer_id='C1'): segment='small_business'",
        ],
        id="unknown-enumeration-value",
    ),
    pytest.param(
        replace("billing__invoices", "I5,C2,", "I5,C99,"),
        [
            "billing__invoices.csv, column customer_id: 1 row with a value that is not a "
            "customer_id of crm__customers.csv (foreign key to crm.customers)",
            "line 6 (invoice_id='I5'): customer_id='C99'",
        ],
        id="orphan-foreign-key",
    ),
    pytest.param(
        replace("marketing__web_events", "organic,\n", "organic,CA9\n"),
        [
            "marketing__web_events.csv, column campaign_id: 1 row with a value that is not a "
            "campaign_id of marketing__campaigns.csv",
            "line 5 (event_id='W4'): campaign_id='CA9'",
        ],
        id="orphan-nullable-foreign-key",
    ),
    pytest.param(
        replace("marketing__expenses", "120.00,USD", "120.00,GBP"),
        [
            "marketing__expenses.csv, columns currency, booked_on: 1 row in a currency with no "
            "exchange rate in billing__fx_rates.csv on or before the UTC date of booked_on",
            "line 3 (expense_id='X2'): currency='GBP', booked_on='2024-01-31' - there is no GBP",
        ],
        id="currency-without-any-rate",
    ),
    pytest.param(
        replace("billing__subscriptions", "P3,2024-01-15 00:00:00", "P3,2024-01-01T00:30:00+01:00"),
        [
            "billing__subscriptions.csv, columns currency, started_at: 1 row in a currency",
            "line 3 (subscription_id='S2'): currency='USD', started_at='2024-01-01T00:30:00+01:00'"
            " - no USD rate on or before 2023-12-31, the first is on 2024-01-01",
        ],
        id="currency-rate-only-after-the-utc-date",
    ),
    pytest.param(
        replace("billing__plans", "999.00,USD", "999.00,CHF"),
        [
            "billing__plans.csv, column currency: 1 row in a currency with no exchange rate in "
            "billing__fx_rates.csv (only the reporting currency EUR needs none)",
            "line 4 (plan_id='P3'): currency='CHF' - there is no CHF rate at all",
        ],
        id="plan-currency-without-rate",
    ),
    pytest.param(
        write(
            "marketing__campaigns.csv", b"campaign_id,campaign_name,channel,started_on,ended_on\n"
        ),
        ["marketing__campaigns.csv: has a header but no rows: marketing.campaigns must not be"],
        id="header-only-file",
    ),
    pytest.param(
        write("billing__fx_rates.csv", b""),
        ["billing__fx_rates.csv: is empty: no header row"],
        id="empty-file",
    ),
    pytest.param(
        replace(
            "crm__leads",
            "L2,2024-01-05 12:30:00,email,CA2,,",
            "L2,2024-01-05 12:30:00,email,CA2,,,oops",
        ),
        [
            "crm__leads.csv: is malformed: 1 bad line (expected UTF-8, 6 comma-separated fields",
            "line 3: Expected Number of Columns: 6 Found: 7: 'L2,2024-01-05 12:30:00",
        ],
        id="malformed-csv-too-many-fields",
    ),
    pytest.param(
        replace("crm__customers", '"Globex, Inc."', '"Globex, Inc.'),
        [
            "crm__customers.csv: is malformed",
            "line 3: Value with unterminated quote found: 'C2,2024-01-08",
        ],
        id="malformed-csv-unterminated-quote",
    ),
    pytest.param(
        not_utf8,
        ["crm__customers.csv: is malformed", "line 4: Invalid unicode", "Initech G"],
        id="malformed-csv-not-utf8",
    ),
    pytest.param(
        write("billing__plans.parquet", b"PAR1 this is not parquet", remove="billing__plans.csv"),
        ["billing__plans.parquet: is not a readable Parquet file: Invalid Input Error"],
        id="unreadable-parquet",
    ),
    pytest.param(
        replace("crm__nps_responses", "12:00:00,10,", "12:00:00,11,"),
        [
            "crm__nps_responses.csv, column score: 1 row out of range (must be 0 <= score <= 10)",
            "line 4 (response_id='N3'): score='11'",
        ],
        id="nps-score-out-of-range",
    ),
    pytest.param(
        replace("marketing__ad_spend", "99.00", "-99.00"),
        [
            "marketing__ad_spend.csv, column spend: 1 row out of range (must be >= 0)",
            "line 3 (campaign_id='CA1', spend_date='2024-01-03'): spend='-99.00'",
        ],
        id="negative-spend",
    ),
    pytest.param(
        replace("hr__employees", ",0.8\n", ",0\n"),
        [
            "hr__employees.csv, column fte: 1 row out of range (must be 0 < fte <= 1)",
            "line 3 (employee_id='E2'): fte='0'",
        ],
        id="fte-zero",
    ),
]


@pytest.mark.parametrize(("breaker", "expected"), CASES)
def test_bad_files_are_reported_and_nothing_changes(
    breaker: Breaker,
    expected: list[str],
    minimal_dataset: Path,
    warehouse: Path,
    loaded_warehouse: tuple[Path, dict[str, list]],
    capsys: pytest.CaptureFixture,
) -> None:
    before_bytes = warehouse.read_bytes()
    breaker(minimal_dataset)
    code = cli.main(["load", str(minimal_dataset), "--warehouse", str(warehouse)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("nyckeltal load: error: ") and "the warehouse is unchanged" in err
    for fragment in expected:
        assert fragment in err, f"{fragment!r} not in:\n{err}"
    assert warehouse.read_bytes() == before_bytes
    assert raw_fingerprint(warehouse) == loaded_warehouse[1]
    assert not warehouse.with_name(warehouse.name + ".wal").exists()


def test_every_problem_is_reported_at_once(
    minimal_dataset: Path, warehouse: Path, capsys: pytest.CaptureFixture
) -> None:
    before = raw_fingerprint(warehouse)
    for breaker in (
        replace("crm__nps_responses", "12:00:00,10,", "12:00:00,11,"),
        replace("crm__nps_responses", "11:00:00,6,", "11:00:00,-1,"),
        replace("billing__invoices", "I5,C2,", "I5,C99,"),
        replace("marketing__expenses", "120.00,USD", "120.00,GBP"),
        write("hr__payroll.csv", b""),
    ):
        breaker(minimal_dataset)
    code = cli.main(["load", str(minimal_dataset), "--warehouse", str(warehouse)])
    err = capsys.readouterr().err
    assert code == 1
    assert "4 problems in" in err
    assert "2 rows out of range" in err and "score='11'" in err and "score='-1'" in err
    assert "customer_id='C99'" in err and "currency='GBP'" in err
    assert "hr__payroll.csv: is empty" in err
    assert raw_fingerprint(warehouse) == before


def test_many_bad_rows_show_the_first_five(
    minimal_dataset: Path, warehouse: Path, capsys: pytest.CaptureFixture
) -> None:
    for number in range(10, 22):
        append("marketing__web_events", f"W{number},2024-01-07 10:00:00,V1,SE1,x,y,CA{number}")(
            minimal_dataset
        )
    assert cli.main(["load", str(minimal_dataset), "--warehouse", str(warehouse)]) == 1
    err = capsys.readouterr().err
    assert "12 rows with a value that is not a campaign_id" in err
    assert "line 10 (event_id='W14'): campaign_id='CA14'" in err
    assert "CA15" not in err
