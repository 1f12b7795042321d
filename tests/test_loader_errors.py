"""`nyckeltal load` with bad files: every problem is reported, the warehouse stays as it was.

Each case of tests/fixtures/loader_errors.toml breaks one thing in a copy of the minimal
dataset, runs the CLI against a copy of a warehouse loaded with the valid dataset, and checks
the exit code, that the message names the file, the column and the offending row and value,
and that the warehouse did not change (not a byte: a failed validation never opens it).
"""

from __future__ import annotations

import os
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from nyckeltal import cli
from nyckeltal.context import RunContext
from nyckeltal.loader import load_directory

MINIMAL = Path(__file__).parent / "fixtures" / "minimal"
# The bad files: what breaks and what the message must say.
CASES_FILE = Path(__file__).parent / "fixtures" / "loader_errors.toml"
Breaker = Callable[[Path], None]


@pytest.fixture(scope="module")
def loaded_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list]]:
    """A warehouse holding the valid minimal dataset, and its fingerprint (loaded once)."""
    warehouse = tmp_path_factory.mktemp("loaded") / "nyckeltal.duckdb"
    load_directory(MINIMAL, RunContext.build(warehouse=warehouse), progress=lambda line: None)
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


def write(name: str, content: str, remove: str | None = None) -> Breaker:
    """Write the file `name` (and remove the file `remove`)."""

    def breaker(directory: Path) -> None:
        (directory / name).write_text(content, encoding="utf-8", newline="")
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


BREAKERS: dict[str, Callable[..., Breaker]] = {
    "replace": replace,
    "append": append,
    "write": write,
    "drop_column": drop_column,
    "plans_parquet": plans_parquet,
}


def _breaker(case: dict[str, Any]) -> Breaker:
    """The breaker a case of CASES_FILE names, with its arguments (a list or a table)."""
    if case.get("not_utf8"):
        return not_utf8
    (kind,) = set(case) & set(BREAKERS)
    arguments = case[kind]
    if isinstance(arguments, dict):
        return BREAKERS[kind](**arguments)
    return BREAKERS[kind](*arguments)


CASES = [
    pytest.param(_breaker(case), case["expected"], case.get("absent", []), id=case["id"])
    for case in tomllib.loads(CASES_FILE.read_text(encoding="utf-8"))["case"]
]


@pytest.mark.parametrize(("breaker", "expected", "absent"), CASES)
def test_bad_files_are_reported_and_nothing_changes(
    breaker: Breaker,
    expected: list[str],
    absent: list[str],
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
    for fragment in absent:
        assert fragment not in err, f"{fragment!r} in:\n{err}"
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
        write("hr__payroll.csv", ""),
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


def _link_outside(directory: Path) -> str:
    """crm__customers.csv becomes a link to a secret file outside the folder."""
    secret = directory.parent / "secret.txt"
    secret.write_text("NYCKELTAL_PUBLISH_POSTGRES_URL=postgresql://u:hunter2@db/x\n")
    (directory / "crm__customers.csv").unlink()
    (directory / "crm__customers.csv").symlink_to(secret)
    return "crm__customers.csv: is a link to a file outside"


def _fifo(directory: Path) -> str:
    (directory / "crm__leads.csv").unlink()
    os.mkfifo(directory / "crm__leads.csv")  # opening it would block the load forever
    return "crm__leads.csv: is a named pipe (FIFO), not a regular file: refused"


def _folder(directory: Path) -> str:
    (directory / "hr__payroll.csv").unlink()
    (directory / "hr__payroll.csv").mkdir()
    return "hr__payroll.csv: is a folder, not a regular file: refused"


def _link_to_proc(directory: Path) -> str:
    (directory / "billing__plans.csv").unlink()
    (directory / "billing__plans.csv").symlink_to("/proc/self/environ")
    return "billing__plans.csv: is a link to a file outside"


@pytest.mark.parametrize("breaker", [_link_outside, _fifo, _folder, _link_to_proc])
def test_links_out_and_special_files_are_refused_unread(
    breaker: Callable[[Path], str],
    minimal_dataset: Path,
    warehouse: Path,
    capsys: pytest.CaptureFixture,
) -> None:
    before = warehouse.read_bytes()
    expected = breaker(minimal_dataset)
    code = cli.main(["load", str(minimal_dataset), "--warehouse", str(warehouse)])
    err = capsys.readouterr().err
    assert code == 1
    assert expected in err and "refused" in err
    assert "1 problem in" in err, "a refused file is not also reported missing"
    assert "hunter2" not in err and "PATH=" not in err and "the file has" not in err
    assert warehouse.read_bytes() == before


def test_a_link_to_a_file_inside_the_folder_is_read(minimal_dataset: Path, tmp_path: Path) -> None:
    inside = minimal_dataset / "sources"
    inside.mkdir()
    (minimal_dataset / "crm__customers.csv").rename(inside / "customers.csv")
    (minimal_dataset / "crm__customers.csv").symlink_to(Path("sources") / "customers.csv")
    report = load_directory(
        minimal_dataset,
        RunContext.build(warehouse=tmp_path / "w.duckdb"),
        progress=lambda line: None,
    )
    assert {table.relation: table.rows for table in report.tables}["raw_crm.customers"] == 3
