"""Personio with dlt: `nyckeltal ingest personio` and the layout `personio:dlt` (docs/sources.md
"Personio").

A local stand-in for Personio's API v1 (tests/personio_api_server.py, on 127.0.0.1) serves
the planted company's employees (tests/fixtures/minimal/hr__employees.csv) as Personio
records: integer ids with the contract's id in a custom attribute (Employee number), the
product line in another, departments under Personio names (`R&D` mapped by
NYCKELTAL_HR_DEPARTMENTS), weekly hours for the FTE, dates at midnight in the company's
time zone (+01:00), the terminated employee on garden leave (last day of work before the
termination date), and a salary that must not be landed. The ingest is run twice on one
landing file: the first run authenticates (after a 500), pages by limit and offset (pages
of 2, a 429 with Retry-After on the way), the second asks only for what was updated since
(one employee's hours changed). Refused credentials, an expired token and a failing
endpoint are one line and leave the landed data as it was. The landing, mapped, equals the
contract file; the company ingested by the CLI and refreshed with
NYCKELTAL_HR_SOURCE=personio:dlt has the same scorecard as from its contract files.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import vendor_twins as twin_tools
from personio_api_server import CLIENT_ID, CLIENT_SECRET, PersonioApi, attribute, serving

from nyckeltal import settings
from nyckeltal.ingest.personio import ATTRIBUTES, IngestConfig, IngestError, ingest
from nyckeltal.settings import SettingsError

CONTRACT_FILE = twin_tools.FIXTURES / "minimal" / "hr__employees.csv"
PERSONIO_NAMES = {"sales": "Sales", "marketing": "Marketing", "engineering": "R&D"}
ID_ATTRIBUTE, PRODUCT_LINE_ATTRIBUTE = "dynamic_1001", "dynamic_1002"
GARDEN_LEAVE = dt.timedelta(days=29)
PAGE = "/v1/company/employees"


def _contract_rows() -> list[dict[str, str]]:
    with CONTRACT_FILE.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _local_midnight(day: str) -> str:
    return f"{day}T00:00:00+01:00"


def personio_employee(number: int, row: dict[str, str]) -> dict[str, Any]:
    """The contract row of an employee as Personio's API lists it (40 hours full time)."""
    last_day = row["terminated_on"]
    ends = dt.date.fromisoformat(last_day) + GARDEN_LEAVE if last_day else None
    hours = format((Decimal(row["fte"]) * 40).normalize(), "f")
    department = {"type": "Department", "attributes": {"id": 900 + number, "name": ""}}
    department["attributes"]["name"] = PERSONIO_NAMES[row["department"]]
    # Last modified the day after the hire (a leaver: after the last day).
    modified = dt.date.fromisoformat(last_day or row["hired_on"]) + dt.timedelta(days=1)
    attributes = {
        "id": attribute("ID", 100 + number, "integer", "id"),
        "status": attribute("Status", "inactive" if last_day else "active", "standard", "status"),
        "hire_date": attribute("Hire date", _local_midnight(row["hired_on"]), "date", "hire_date"),
        "termination_date": attribute(
            "Termination date", ends and _local_midnight(ends.isoformat()), "date"
        ),
        "last_working_day": attribute(
            "Last day of work", last_day and _local_midnight(last_day), "date"
        ),
        "weekly_working_hours": attribute("Weekly hours", hours, "standard"),
        "department": attribute("Department", department, "standard", "department"),
        "last_modified_at": attribute("Last modified", f"{modified}T10:00:00+02:00", "date"),
        "fix_salary": attribute("Fix salary", 5000, "decimal", "fix_salary"),
        ID_ATTRIBUTE: attribute("Employee number", row["employee_id"]),
        PRODUCT_LINE_ATTRIBUTE: attribute("Product line", row["product_line"] or None),
    }
    return {"type": "Employee", "attributes": attributes}


def planted_employees() -> list[dict[str, Any]]:
    return [personio_employee(number, row) for number, row in enumerate(_contract_rows(), 1)]


def _config(api: PersonioApi, landing: Path, secret: str = CLIENT_SECRET) -> IngestConfig:
    return IngestConfig(
        client_id=CLIENT_ID,
        client_secret=secret,
        destination=landing,
        api_base=api.base_url,
        extra_attributes=(ID_ATTRIBUTE, PRODUCT_LINE_ATTRIBUTE),
        page_size=2,
        backoff_factor=0.01,
        max_attempts=3,
    )


def _snapshot(landing: Path) -> list[tuple]:
    sql = "select id, weekly_working_hours, last_modified_at from personio.employees order by id"
    return twin_tools.landed_rows(landing, sql)


def _employees_requests(requests: list[tuple]) -> list[dict[str, list[str]]]:
    return [query for method, path, query in requests if path == PAGE]


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two ingests into one landing file, the API's requests of each, and the API. The first
    sees E2 at 40 hours a week; before the second, E2 moves to 32 (the contract's 0.8)."""
    folder = tmp_path_factory.mktemp("personio_dlt_ingest")
    employees = planted_employees()
    e2 = employees[1]["attributes"]
    planted_hours, e2["weekly_working_hours"]["value"] = e2["weekly_working_hours"]["value"], "40"
    api = PersonioApi(employees)
    api.fail("/v1/auth", 500)
    api.fail(PAGE, 429)
    landing = folder / "landing.duckdb"
    first_landed = []

    def change() -> None:
        first_landed.extend(_snapshot(landing))
        e2["weekly_working_hours"]["value"] = planted_hours
        e2["last_modified_at"]["value"] = "2024-07-01T09:00:00+02:00"

    ingests = twin_tools.ingest_twice(
        serving, api, landing, lambda: ingest(_config(api, landing)), change
    )
    return {**ingests, "first_landed": first_landed}


def test_employees_are_paged_by_limit_and_offset(ingested: dict[str, Any]) -> None:
    pages = _employees_requests(ingested["first_requests"])[1:]  # after the 429
    assert [(page["limit"], page["offset"]) for page in pages] == [(["2"], ["0"]), (["2"], ["2"])]
    assert ingested["first"].rows == {"employees": 3}
    assert [row[:2] for row in ingested["first_landed"]] == [
        ("101", "40"),
        ("102", "40"),
        ("103", "40"),
    ]


def test_only_the_attributes_read_are_asked_for_and_landed(ingested: dict[str, Any]) -> None:
    asked = _employees_requests(ingested["first_requests"])[1]["attributes[]"]
    assert asked == [*ATTRIBUTES, ID_ATTRIBUTE, PRODUCT_LINE_ATTRIBUTE]
    columns = twin_tools.landed_table_columns(ingested["landing"], "personio", "employees")
    assert "fix_salary" not in columns
    assert {*ATTRIBUTES, ID_ATTRIBUTE, PRODUCT_LINE_ATTRIBUTE} <= columns


def test_a_500_and_a_429_are_retried(ingested: dict[str, Any]) -> None:
    paths = [(method, path) for method, path, _ in ingested["first_requests"]]
    assert paths.count(("POST", "/v1/auth")) == 2  # the 500, then the token
    assert paths.count(("GET", PAGE)) == 3  # the 429, then 2 pages


def test_dates_are_the_calendar_dates_personio_writes(ingested: dict[str, Any]) -> None:
    # 2023-01-01T00:00:00+01:00 is 2022-12-31 in UTC: the date as written is kept.
    sql = (
        "select dynamic_1001, hire_date, termination_date, last_working_day "
        "from personio.employees order by id"
    )
    assert twin_tools.landed_rows(ingested["landing"], sql) == [
        ("E1", dt.date(2023, 1, 1), None, None),
        ("E2", dt.date(2023, 6, 1), None, None),
        ("E3", dt.date(2022, 3, 1), dt.date(2024, 2, 29), dt.date(2024, 1, 31)),
    ]


def test_the_second_ingest_asks_only_for_what_was_updated(ingested: dict[str, Any]) -> None:
    pages = _employees_requests(ingested["second_requests"])
    # The newest last_modified_at landed: E3's, 2024-02-01 10:00 +02:00; less a day.
    assert pages and all(page["updated_since"] == ["2024-01-31"] for page in pages)
    assert ingested["second"].rows == {"employees": 1}  # E2; E3 read again, unchanged
    assert _snapshot(ingested["landing"])[1][:2] == ("102", "32")


@pytest.fixture
def landing(ingested: dict[str, Any], tmp_path: Path) -> Path:
    """A private copy of the twice ingested landing file."""
    return twin_tools.landing_copy(ingested["landing"], tmp_path)


def _expiring(api: PersonioApi) -> PersonioApi:
    """`api`, whose tokens expire as soon as they are given."""
    original = api.answer

    def answer(method: str, path: str, *rest: Any) -> tuple:
        if path == PAGE:
            api.expire()
        return original(method, path, *rest)

    api.answer = answer  # type: ignore[method-assign]
    return api


@pytest.mark.parametrize(
    ("secret", "expire", "expected"),
    [
        (
            "papi-wrong",
            False,
            "Personio refused the API credentials (401): check NYCKELTAL_PERSONIO_CLIENT_ID "
            "and NYCKELTAL_PERSONIO_CLIENT_SECRET; the data landed before is unchanged",
        ),
        (
            CLIENT_SECRET,
            True,
            "Personio refused the access token (401: expired, or without the employees' read "
            "scope): check NYCKELTAL_PERSONIO_CLIENT_ID and NYCKELTAL_PERSONIO_CLIENT_SECRET; "
            "the data landed before is unchanged",
        ),
    ],
    ids=["refused credentials", "expired token"],
)
def test_a_refusal_is_one_line_and_changes_nothing(
    landing: Path, secret: str, expire: bool, expected: str
) -> None:
    before = _snapshot(landing)
    api = PersonioApi(planted_employees())
    with serving(_expiring(api) if expire else api), pytest.raises(IngestError) as raised:
        ingest(_config(api, landing, secret=secret))
    assert str(raised.value) == expected
    assert _snapshot(landing) == before


def test_a_failed_ingest_changes_nothing_and_the_next_one_lands(landing: Path) -> None:
    unchanged = _snapshot(landing)
    employees = planted_employees()
    employees[0]["attributes"]["last_modified_at"]["value"] = "2024-08-01T09:00:00+02:00"
    employees[0]["attributes"]["weekly_working_hours"]["value"] = "20"
    with serving(PersonioApi(employees)) as api:
        api.fail(PAGE, 500, 500, 500)  # every attempt: the ingest fails
        with pytest.raises(IngestError, match="answered 500 .* after retries"):
            ingest(_config(api, landing))
        assert _snapshot(landing) == unchanged
        ingest(_config(api, landing))
    assert _snapshot(landing)[0][:2] == ("101", "20")


def _credentials(patch: pytest.MonkeyPatch, api: PersonioApi, secret: str = CLIENT_SECRET) -> None:
    patch.setenv("NYCKELTAL_PERSONIO_CLIENT_ID", CLIENT_ID)
    patch.setenv("NYCKELTAL_PERSONIO_CLIENT_SECRET", secret)
    patch.setenv("NYCKELTAL_PERSONIO_API_BASE", api.base_url)


def test_the_cli_names_the_credential_settings(tmp_path: Path, monkeypatch, capsys) -> None:
    with serving(PersonioApi([])) as api:
        _credentials(monkeypatch, api, secret="papi-wrong")
        error = twin_tools.ingest_error("personio", tmp_path / "w.duckdb", capsys)
    assert error.startswith("nyckeltal ingest: error: Personio refused the API credentials (401)")


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "NYCKELTAL_HR_DEPARTMENTS",
            "R&D=research",
            "'R&D=research' is not Vendor Name=department",
        ),
        ("NYCKELTAL_HR_DEPARTMENTS", "Sales", "'Sales' is not Vendor Name=department"),
        ("NYCKELTAL_HR_SOURCE", "workday:dlt", "supported hr sources are files, personio:dlt"),
        ("NYCKELTAL_PERSONIO_PRODUCT_LINE_ATTRIBUTE", "Product line", "an attribute key"),
        ("NYCKELTAL_PERSONIO_FULL_TIME_HOURS", "0", "greater than 0"),
    ],
)
def test_bad_hr_settings_are_named(monkeypatch, variable: str, value: str, expected: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        settings.current()
    assert variable in str(raised.value) and expected in str(raised.value)


# --------------------------------------------------------------------------- the mapping


def _personio_env(patch: pytest.MonkeyPatch, departments: str = " r&d = engineering ") -> None:
    patch.setenv("NYCKELTAL_HR_SOURCE", "personio:dlt")
    patch.setenv("NYCKELTAL_PERSONIO_EMPLOYEE_ID_ATTRIBUTE", ID_ATTRIBUTE)
    patch.setenv("NYCKELTAL_PERSONIO_PRODUCT_LINE_ATTRIBUTE", PRODUCT_LINE_ATTRIBUTE)
    if departments:
        patch.setenv("NYCKELTAL_HR_DEPARTMENTS", departments)


@pytest.fixture(scope="module")
def personio_twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The company's employees ingested by `nyckeltal ingest personio` into its warehouse's
    schema `personio`, then refreshed with NYCKELTAL_HR_SOURCE=personio:dlt: the warehouse."""
    folder = tmp_path_factory.mktemp("personio_dlt_twin")
    api = PersonioApi(planted_employees())

    def prepare(patch: pytest.MonkeyPatch) -> None:
        _personio_env(patch)
        _credentials(patch, api)

    with serving(api):
        return twin_tools.refresh_company(
            folder, prepare, before_run=("ingest", "personio"), leave_out=("hr__employees",)
        )


@pytest.mark.dbt
def test_the_mapped_employees_equal_the_contract_file(personio_twin: Path) -> None:
    columns = "employee_id, department, product_line, hired_on, terminated_on, fte"
    mapped = twin_tools.rows_by_key(personio_twin, f"select {columns} from raw_hr.employees")
    expected = {
        row["employee_id"]: (
            row["department"],
            row["product_line"] or None,
            dt.date.fromisoformat(row["hired_on"]),
            dt.date.fromisoformat(row["terminated_on"]) if row["terminated_on"] else None,
            Decimal(row["fte"]),
        )
        for row in _contract_rows()
    }
    assert mapped == expected
    assert twin_tools.loaded_row_counts(personio_twin)["hr.employees"] == 3


@pytest.mark.dbt
def test_the_scorecard_from_personio_via_dlt_equals_the_one_from_files(
    personio_twin: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    codes = ("revenue_per_employee", "cac")
    twin_tools.assert_same_scorecard(twin_tools.files_twin(tmp_path_factory), personio_twin, codes)
    log = personio_twin.with_name("run.log").read_text()
    assert "personio: landed in the schema personio of" in log


@pytest.mark.dbt
def test_an_unmapped_department_fails_the_suite_naming_it(
    ingested: dict[str, Any], tmp_path: Path
) -> None:
    landing = twin_tools.landing_copy(ingested["landing"], tmp_path)

    def prepare(patch: pytest.MonkeyPatch) -> None:
        _personio_env(patch, departments="")  # R&D is no contract department
        patch.setenv("NYCKELTAL_LANDING_DATABASE", str(landing))

    twin_tools.map_and_validate(
        tmp_path / "mapped", prepare, leave_out=("hr__employees",), tables=("hr.employees",)
    )
    report = (tmp_path / "mapped" / "validation.txt").read_text()
    assert "FAILED" in report and "department" in report and "R&D" in report
