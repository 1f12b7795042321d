"""BambooHR with dlt: `nyckeltal ingest bamboohr` and the layout `bamboohr:dlt` (docs/sources.md
"BambooHR").

A local stand-in for BambooHR's API v1 (tests/bamboohr_api_server.py, on 127.0.0.1) serves
the planted company's employees (tests/fixtures/minimal/hr__employees.csv) as BambooHR
records: numeric ids with the contract's id in `employeeNumber`, the product line in
`division`, departments under BambooHR names (`R&D` mapped by NYCKELTAL_HR_DEPARTMENTS),
the employment status for the FTE (Full-Time: 1) and a custom field `customFTE` for the
part-time employee, `0000-00-00` for no termination date, and a pay rate that must not be
landed, plus an employee entered by mistake. The ingest is run twice on one landing file:
the first reads one custom report (after a 500 and a 429 with Retry-After), the second asks
only for what changed since (the part-timer's FTE set, the mistaken employee deleted). A
refused key and a failing endpoint are one line and leave the landed data as it was. The
landing, mapped, equals the contract file and passes the raw suite; without the FTE field
and the department names it fails the suite naming them. No refresh is run (cheap twins:
tests/vendor_twins.py).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import vendor_twins as twin_tools
from bamboohr_api_server import API_KEY, DOMAIN, ROOT, BambooHrApi, serving

from nyckeltal.context import RunContext
from nyckeltal.ingest import bamboohr
from nyckeltal.ingest.bamboohr import IngestConfig, IngestError, ingest

CONTRACT_FILE = twin_tools.FIXTURES / "minimal" / "hr__employees.csv"
BAMBOOHR_NAMES = {"sales": "Sales", "marketing": "Marketing", "engineering": "R&D"}
EXTRA_FIELDS = ("employeeNumber", "division", "customFTE")
REPORT, CHANGED = f"{ROOT}/reports/custom", f"{ROOT}/employees/changed"
MISTAKE = "109"  # an employee entered by mistake, deleted before the second ingest


def _contract_rows() -> list[dict[str, str]]:
    with CONTRACT_FILE.open(newline="") as handle:
        return list(csv.DictReader(handle))


def bamboohr_employee(number: int, row: dict[str, str]) -> dict[str, Any]:
    """The contract row of an employee as BambooHR holds it (Full-Time: one FTE, else the
    custom field customFTE)."""
    last_day = row["terminated_on"]
    full_time = row["fte"] in ("1", "1.0")
    # Last changed the day after the hire (a leaver: after the last day).
    changed = dt.date.fromisoformat(last_day or row["hired_on"]) + dt.timedelta(days=1)
    return {
        "id": str(100 + number),
        "employeeNumber": row["employee_id"],
        "status": "Inactive" if last_day else "Active",
        "hireDate": row["hired_on"],
        "terminationDate": last_day or "0000-00-00",
        "department": BAMBOOHR_NAMES[row["department"]],
        "division": row["product_line"],
        "employmentHistoryStatus": "Full-Time" if full_time else "Part-Time",
        "customFTE": "" if full_time else row["fte"],
        "lastChanged": f"{changed}T08:00:00+00:00",
        "payRate": "5000.00 EUR",
    }


def planted_employees() -> list[dict[str, Any]]:
    employees = [bamboohr_employee(number, row) for number, row in enumerate(_contract_rows(), 1)]
    mistake = bamboohr_employee(9, _contract_rows()[0]) | {"employeeNumber": "E9"}
    return [*employees, mistake]


def _config(api: BambooHrApi, landing: Path, key: str = API_KEY) -> IngestConfig:
    return IngestConfig(
        api_key=key,
        api_base=api.base_url,
        destination=landing,
        extra_fields=EXTRA_FIELDS,
        backoff_factor=0.01,
        max_attempts=3,
    )


def _snapshot(landing: Path) -> list[tuple]:
    sql = (
        "select id, employment_history_status, custom_fte, last_changed "
        "from bamboohr.employees order by id"
    )
    return twin_tools.landed_rows(landing, sql)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two ingests into one landing file, the API's requests of each, and the API. The first
    sees E2 full-time; before the second, E2 turns part-time (customFTE 0.8, the contract's)
    and the mistaken employee is deleted."""
    folder = tmp_path_factory.mktemp("bamboohr_dlt_ingest")
    employees = planted_employees()
    e2 = employees[1]
    planted = {key: e2[key] for key in ("employmentHistoryStatus", "customFTE")}
    e2 |= {"employmentHistoryStatus": "Full-Time", "customFTE": ""}
    api = BambooHrApi(employees)
    api.fail(REPORT, 500, 429)
    landing = folder / "landing.duckdb"
    first_landed = []

    def change() -> None:
        first_landed.extend(_snapshot(landing))
        e2.update(planted, lastChanged="2024-07-01T09:00:00+00:00")
        api.delete(MISTAKE, "2024-07-02T10:00:00+00:00")

    ingests = twin_tools.ingest_twice(
        serving, api, landing, lambda: ingest(_config(api, landing)), change
    )
    return {**ingests, "first_landed": first_landed}


def test_the_first_ingest_reads_one_report_of_the_fields(ingested: dict[str, Any]) -> None:
    requests = ingested["first_requests"]
    assert [(method, path) for method, path, _ in requests] == [("POST", REPORT)] * 3
    assert requests[-1][2] == {"format": ["JSON"], "onlyCurrent": ["false"]}
    assert ingested["first"].rows == {"employees": 4}
    assert [row[:3] for row in ingested["first_landed"]] == [
        ("101", "Full-Time", None),
        ("102", "Full-Time", None),
        ("103", "Full-Time", None),
        (MISTAKE, "Full-Time", None),
    ]


def test_only_the_fields_read_are_landed(ingested: dict[str, Any]) -> None:
    columns = twin_tools.landed_table_columns(ingested["landing"], "bamboohr", "employees")
    assert "pay_rate" not in columns
    assert {
        "id",
        "employee_number",
        "status",
        "hire_date",
        "termination_date",
        "department",
        "division",
        "employment_history_status",
        "custom_fte",
        "last_changed",
    } <= columns


def test_dates_are_the_calendar_dates_bamboohr_writes(ingested: dict[str, Any]) -> None:
    sql = "select employee_number, hire_date, termination_date from bamboohr.employees order by id"
    assert twin_tools.landed_rows(ingested["landing"], sql) == [
        ("E1", dt.date(2023, 1, 1), None),  # 0000-00-00: no date
        ("E2", dt.date(2023, 6, 1), None),
        ("E3", dt.date(2022, 3, 1), dt.date(2024, 1, 31)),
    ]


def test_the_second_ingest_asks_only_for_what_changed(ingested: dict[str, Any]) -> None:
    requests = [(method, path, query) for method, path, query in ingested["second_requests"]]
    # Since the newest lastChanged landed: E3's; E3 is listed again, read, and dropped.
    assert requests[0] == ("GET", CHANGED, {"since": ["2024-02-01T08:00:00Z"]})
    assert sorted(path for _, path, _ in requests[1:]) == [
        f"{ROOT}/employees/102",
        f"{ROOT}/employees/103",
    ]
    assert {query["fields"][0] for _, _, query in requests[1:]} == {
        ",".join([*bamboohr.FIELDS, *EXTRA_FIELDS])
    }
    assert [row[:3] for row in _snapshot(ingested["landing"])] == [
        ("101", "Full-Time", None),
        ("102", "Part-Time", "0.8"),
        ("103", "Full-Time", None),
    ]  # the mistaken employee deleted


@pytest.fixture
def landing(ingested: dict[str, Any], tmp_path: Path) -> Path:
    """A private copy of the twice ingested landing file."""
    return twin_tools.landing_copy(ingested["landing"], tmp_path)


def test_a_refused_key_is_one_line_naming_it_and_changes_nothing(
    landing: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(landing)
    with serving(BambooHrApi(planted_employees())) as api:
        monkeypatch.setenv("NYCKELTAL_BAMBOOHR_API_KEY", "bamboo-wrong")
        monkeypatch.setenv("NYCKELTAL_BAMBOOHR_API_BASE", api.base_url)
        monkeypatch.setenv("NYCKELTAL_LANDING_DATABASE", str(landing))
        error = twin_tools.ingest_error("bamboohr", landing.with_name("w.duckdb"), capsys)
    assert error == (
        "nyckeltal ingest: error: BambooHR refused the API key (401): check "
        "NYCKELTAL_BAMBOOHR_API_KEY; the data landed before is unchanged"
    )
    assert _snapshot(landing) == before


def test_a_failed_ingest_changes_nothing_and_the_next_one_lands(landing: Path) -> None:
    employees = planted_employees()[:3]
    hired = bamboohr_employee(4, _contract_rows()[0]) | {"employeeNumber": "E4"}
    hired["lastChanged"] = "2024-08-01T09:00:00+00:00"
    with serving(BambooHrApi([*employees, hired])) as api:
        api.fail(CHANGED, 500, 500, 500)  # every attempt: the ingest fails
        twin_tools.assert_a_failed_ingest_lands_nothing(
            lambda: twin_tools.landed_counts(landing, "bamboohr", ["employees"]),
            lambda: ingest(_config(api, landing)),
            "employees",
        )


def test_the_api_base_is_the_company_domain_s(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NYCKELTAL_BAMBOOHR_API_KEY", API_KEY)
    monkeypatch.setenv("NYCKELTAL_BAMBOOHR_COMPANY_DOMAIN", f" {DOMAIN.upper()}.bamboohr.com ")
    monkeypatch.setenv("NYCKELTAL_BAMBOOHR_EMPLOYEE_ID_FIELD", "employeeNumber")
    config = bamboohr.config(RunContext.build(warehouse=tmp_path / "w.duckdb"))
    assert config.api_base == f"https://api.bamboohr.com{ROOT}"
    assert config.extra_fields == ("employeeNumber",)
    monkeypatch.delenv("NYCKELTAL_BAMBOOHR_COMPANY_DOMAIN")
    with pytest.raises(IngestError, match="set NYCKELTAL_BAMBOOHR_COMPANY_DOMAIN"):
        bamboohr.config(RunContext.build(warehouse=tmp_path / "w.duckdb"))


BAD_SETTINGS = (
    ("BAMBOOHR_FTE_FIELD", "custom FTE", "a field name of BambooHR's employees"),
    ("BAMBOOHR_COMPANY_DOMAIN", "https://acme", "the company's BambooHR subdomain"),
    ("HR_SOURCE", "workday:dlt", "files, personio:dlt, bamboohr:dlt"),
)


def test_bad_bamboohr_settings_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value, expected in BAD_SETTINGS:
        with monkeypatch.context() as patch:
            twin_tools.assert_setting_refused(patch, name, value, expected)


# --------------------------------------------------------------------------- the mapping


def _mapping(ingested: dict[str, Any], folder: Path, **settings: str) -> Path:
    """The company's other files loaded into folder/nyckeltal.duckdb, its employees mapped
    from a copy of the twice ingested landing with NYCKELTAL_HR_SOURCE=bamboohr:dlt and the
    id and product line fields, `settings` (NYCKELTAL_<name>) added, and validated (the
    report in folder/validation.txt): the warehouse."""
    landed = twin_tools.landing_copy(ingested["landing"], folder)

    def prepare(patch: pytest.MonkeyPatch) -> None:
        patch.setenv("NYCKELTAL_HR_SOURCE", "bamboohr:dlt")
        patch.setenv("NYCKELTAL_LANDING_DATABASE", str(landed))
        patch.setenv("NYCKELTAL_BAMBOOHR_EMPLOYEE_ID_FIELD", "employeeNumber")
        patch.setenv("NYCKELTAL_BAMBOOHR_PRODUCT_LINE_FIELD", "division")
        for name, value in settings.items():
            patch.setenv(f"NYCKELTAL_{name}", value)

    return twin_tools.map_and_validate(
        folder / "mapped", prepare, leave_out=("hr__employees",), tables=("hr.employees",)
    )


@pytest.mark.dbt
def test_the_mapped_employees_equal_the_contract_file(
    ingested: dict[str, Any], tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    mapped = _mapping(
        ingested, tmp_path, HR_DEPARTMENTS=" r&d = engineering ", BAMBOOHR_FTE_FIELD="customFTE"
    )
    report = (tmp_path / "mapped" / "validation.txt").read_text()
    assert " passed" in report.splitlines()[0], report
    twin_tools.assert_maps_like_files(twin_tools.files_loaded(tmp_path_factory), mapped)


@pytest.mark.dbt
def test_without_fte_field_or_department_names_the_suite_fails_naming_them(
    ingested: dict[str, Any], tmp_path: Path
) -> None:
    _mapping(ingested, tmp_path)  # E2 is Part-Time; R&D is no contract department
    report = (tmp_path / "mapped" / "validation.txt").read_text()
    assert "FAILED" in report and "R&D" in report, report
    fte_failure = report[report.index("fte") :]  # E2's FTE: null, not Full-Time, no field
    assert "E2" in fte_failure, report


@pytest.mark.dbt
def test_an_fte_field_of_percentages_fails_the_suite_not_the_mapping(
    ingested: dict[str, Any], tmp_path: Path
) -> None:
    # The ids (101, 102, ...) stand for a field of percentages: no FTE is that large, and
    # the mapping writes null (the suite names it) rather than failing on the number.
    _mapping(ingested, tmp_path, HR_DEPARTMENTS="R&D=engineering", BAMBOOHR_FTE_FIELD="id")
    report = (tmp_path / "mapped" / "validation.txt").read_text()
    assert "FAILED" in report and "R&D" not in report, report
    assert "fte" in report[report.index("FAILED") :], report


def test_the_dagster_asset_bamboohr_is_upstream_of_the_employees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster import AssetKey

    from orchestration.defs.ingest import ingested_tables

    monkeypatch.setenv("NYCKELTAL_WAREHOUSE", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("NYCKELTAL_HR_SOURCE", "bamboohr:dlt")
    assert ingested_tables(RunContext.build()) == {"hr.employees": AssetKey(["bamboohr"])}
