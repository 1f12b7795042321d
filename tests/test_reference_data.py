"""Our churn and NPS KPIs checked against public data that nobody on this project wrote.

Each test maps a file of `tests/reference_data/` (its README names origin, licence and checksum)
into the raw data contract in a temporary DuckDB warehouse, builds only the KPI model it
needs (`dbt build --select +int_kpi_rows_<family>`) and compares our KPI rows with figures
computed independently from the file with plain Python:

- IBM Telco customer churn (7,043 customers, 1,869 churned): churn_rate of one month, total
  and per contract type (plan);
- dbt-labs mrr-playbook subscription periods: customers at start and churned customers of
  every month, by the playbook's definition (active when start <= t < end);
- prepbench case 040 event survey (0-10 answers): NPS of the month.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from nyckeltal.context import RunContext
from nyckeltal.dbt_runner import run_dbt
from nyckeltal.raw_schema import create_empty_raw_tables

pytestmark = pytest.mark.dbt

REPORTING_CURRENCY = "EUR"


REFERENCE_DATA = Path(__file__).parent / "reference_data"


def expected_checksums() -> dict[str, str]:
    """File name -> SHA-256, from the table in tests/reference_data/README.md."""
    readme = (REFERENCE_DATA / "README.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| `([^`]+\.csv)` \|.*\| `([0-9a-f]{64})` \|$", readme, re.M))


def reference_file(name: str) -> Path:
    """A reference file, checked against its recorded checksum; missing or changed fails."""
    path = REFERENCE_DATA / name
    assert path.exists(), f"reference data {path} is missing (see tests/reference_data/README.md)"
    expected = expected_checksums().get(name)
    assert expected, f"{name} has no checksum in tests/reference_data/README.md"
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    assert actual == expected, f"{path} changed: sha256 {actual}, expected {expected}"
    return path


@pytest.mark.parametrize(
    "name",
    [
        "telco_customer_churn.csv",
        "mrr_playbook_subscription_periods.csv",
        "prepbench_case040_nps_survey.csv",
    ],
)
def test_reference_file_is_present_and_unchanged(name: str) -> None:
    assert reference_file(name).stat().st_size > 0


def shift_month_start(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after the month of `day`."""
    month_index = day.year * 12 + day.month - 1 + months
    return dt.date(month_index // 12, month_index % 12 + 1, 1)


def insert_rows(connection: duckdb.DuckDBPyConnection, relation: str, frame: pd.DataFrame) -> None:
    """Append a DataFrame whose columns are named as the raw table's columns."""
    connection.register("incoming_rows", frame)
    columns = ", ".join(frame.columns)
    connection.execute(f"insert into {relation} ({columns}) select {columns} from incoming_rows")
    connection.unregister("incoming_rows")


def customers_frame(customer_ids: list[str], created_at: list[dt.datetime]) -> pd.DataFrame:
    """Minimal contract-valid crm.customers rows."""
    return pd.DataFrame(
        {
            "customer_id": customer_ids,
            "created_at": pd.to_datetime(created_at),
            "company_name": [f"Company {customer_id}" for customer_id in customer_ids],
            "segment": "smb",
            "region": "emea",
            "country_code": "SE",
            "acquisition_channel": "organic",
            "acquisition_campaign_id": pd.Series([None] * len(customer_ids), dtype="object"),
            "lead_id": pd.Series([None] * len(customer_ids), dtype="object"),
        }
    )


def build_kpi_rows(
    tmp_path: Path,
    tables: dict[str, pd.DataFrame],
    kpi_model: str,
) -> pd.DataFrame:
    """Load raw tables into a fresh warehouse, build +kpi_model, return its rows.

    Only the tests whose parents are all selected run (cautious indirect selection), so
    that tests of models outside the selection are not attempted.
    """
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        create_empty_raw_tables(connection)
        for relation, frame in tables.items():
            insert_rows(connection, relation, frame)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
        monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
        monkeypatch.setenv("NYCKELTAL_REPORTING_CURRENCY", REPORTING_CURRENCY)
        run_dbt(
            ["build", "--select", f"+{kpi_model}", "--indirect-selection", "cautious"],
            RunContext.build(warehouse=warehouse),
            dbt_vars={"reporting_currency": REPORTING_CURRENCY},
            quiet=True,
        )
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(f"select * from intermediate.{kpi_model}").df()


def kpi_row(rows: pd.DataFrame, kpi_code: str, period_start: dt.date, segment: str) -> pd.Series:
    segment_type, segment_value = segment.split("/", 1)
    matches = rows[
        (rows["kpi_code"] == kpi_code)
        & (pd.to_datetime(rows["period_start"]).dt.date == period_start)
        & (rows["segment_type"] == segment_type)
        & (rows["segment_value"] == segment_value)
    ]
    assert len(matches) == 1, f"expected one {kpi_code} {period_start} {segment} row"
    return matches.iloc[0]


# --- (a) IBM Telco customer churn -------------------------------------------------------

TELCO_MONTH = dt.date(2024, 1, 1)


@pytest.fixture(scope="module")
def telco() -> pd.DataFrame:
    return pd.read_csv(reference_file("telco_customer_churn.csv"))


def telco_tables(telco: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The Telco file in the raw contract. Each customer: one subscription on its contract
    type (the plan) at its monthly charges (the MRR), started `tenure` months before
    TELCO_MONTH and, when Churn = Yes, ended on the 15th of TELCO_MONTH."""
    month_start = dt.datetime.combine(TELCO_MONTH, dt.time())
    started_at = [
        dt.datetime.combine(shift_month_start(TELCO_MONTH, -int(tenure)), dt.time())
        for tenure in telco["tenure"]
    ]
    ended_at = [
        month_start + dt.timedelta(days=14, hours=12) if churn == "Yes" else None
        for churn in telco["Churn"]
    ]
    customer_ids = telco["customerID"].astype(str).tolist()
    contracts = sorted(telco["Contract"].unique())
    plans = pd.DataFrame(
        {
            "plan_id": contracts,
            "plan_name": contracts,
            "product_line": "telco",
            "billing_interval": "month",
            "list_price": 50.0,
            "currency": REPORTING_CURRENCY,
        }
    )
    subscriptions = pd.DataFrame(
        {
            "subscription_id": [f"sub-{customer_id}" for customer_id in customer_ids],
            "customer_id": customer_ids,
            "plan_id": telco["Contract"].tolist(),
            "started_at": pd.to_datetime(started_at),
            "ended_at": pd.to_datetime(pd.Series(ended_at, dtype="object")),
            "mrr": telco["MonthlyCharges"].astype(float).tolist(),
            "currency": REPORTING_CURRENCY,
        }
    )
    return {
        "raw_crm.customers": customers_frame(customer_ids, started_at),
        "raw_billing.plans": plans,
        "raw_billing.subscriptions": subscriptions,
    }


@pytest.fixture(scope="module")
def telco_churn_rows(telco: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return build_kpi_rows(
        tmp_path_factory.mktemp("telco"), telco_tables(telco), "int_kpi_rows_churn"
    )


def test_telco_churn_rate_total(telco: pd.DataFrame, telco_churn_rows: pd.DataFrame) -> None:
    churned = int((telco["Churn"] == "Yes").sum())
    customers = len(telco)
    assert (churned, customers) == (1869, 7043)  # the dataset's well-known totals

    row = kpi_row(telco_churn_rows, "churn_rate", TELCO_MONTH, "total/all")
    assert row["numerator"] == churned
    assert row["denominator"] == customers
    assert row["value"] == pytest.approx(1869 / 7043 * 100, rel=1e-12, abs=0)
    assert row["unit"] == "percent"


def test_telco_churn_rate_per_contract_type(
    telco: pd.DataFrame, telco_churn_rows: pd.DataFrame
) -> None:
    for contract, group in telco.groupby("Contract"):
        churned = int((group["Churn"] == "Yes").sum())
        row = kpi_row(telco_churn_rows, "churn_rate", TELCO_MONTH, f"plan/{contract}")
        assert (row["numerator"], row["denominator"]) == (churned, len(group)), contract
        assert row["value"] == pytest.approx(churned / len(group) * 100, rel=1e-12, abs=0)


# --- (b) dbt-labs mrr-playbook subscription periods -------------------------------------


@pytest.fixture()
def playbook() -> pd.DataFrame:
    frame = pd.read_csv(reference_file("mrr_playbook_subscription_periods.csv"))
    frame["start_date"] = pd.to_datetime(frame["start_date"]).dt.date
    frame["end_date"] = pd.to_datetime(frame["end_date"]).dt.date
    return frame


def playbook_churn_by_month(playbook: pd.DataFrame) -> dict[dt.date, tuple[int, int]]:
    """Per month M: (churned, customers at start), active when start <= t < end."""

    def active_customers(instant: dt.date) -> set[str]:
        active = playbook[(playbook["start_date"] <= instant) & (instant < playbook["end_date"])]
        return set(active["customer_id"].astype(str))

    first = playbook["start_date"].min().replace(day=1)
    last = max(playbook["start_date"].max(), playbook["end_date"].max()).replace(day=1)
    result: dict[dt.date, tuple[int, int]] = {}
    month = first
    while month <= last:
        at_start = active_customers(month)
        at_next_start = active_customers(shift_month_start(month, 1))
        result[month] = (len(at_start - at_next_start), len(at_start))
        month = shift_month_start(month, 1)
    return result


@pytest.fixture()
def playbook_churn_rows(playbook: pd.DataFrame, tmp_path: Path) -> pd.DataFrame:
    customer_ids = sorted(playbook["customer_id"].astype(str).unique(), key=int)
    first_start = playbook.groupby(playbook["customer_id"].astype(str))["start_date"].min()
    plans = pd.DataFrame(
        {
            "plan_id": ["playbook"],
            "plan_name": ["mrr-playbook"],
            "product_line": ["playbook"],
            "billing_interval": ["month"],
            "list_price": [50.0],
            "currency": [REPORTING_CURRENCY],
        }
    )
    subscriptions = pd.DataFrame(
        {
            "subscription_id": playbook["subscription_id"].astype(str),
            "customer_id": playbook["customer_id"].astype(str),
            "plan_id": "playbook",
            "started_at": pd.to_datetime(playbook["start_date"]),
            "ended_at": pd.to_datetime(playbook["end_date"]),
            "mrr": playbook["monthly_amount"].astype(float),
            "currency": REPORTING_CURRENCY,
        }
    )
    tables = {
        "raw_crm.customers": customers_frame(
            customer_ids,
            [
                dt.datetime.combine(first_start[customer_id], dt.time())
                for customer_id in customer_ids
            ],
        ),
        "raw_billing.plans": plans,
        "raw_billing.subscriptions": subscriptions,
    }
    return build_kpi_rows(tmp_path, tables, "int_kpi_rows_churn")


def test_playbook_churn_counts_every_month(
    playbook: pd.DataFrame, playbook_churn_rows: pd.DataFrame
) -> None:
    expected = playbook_churn_by_month(playbook)
    totals = playbook_churn_rows[
        (playbook_churn_rows["kpi_code"] == "churn_rate")
        & (playbook_churn_rows["segment_type"] == "total")
    ]
    ours = {
        pd.Timestamp(row.period_start).date(): (int(row.numerator), int(row.denominator))
        for row in totals.itertuples()
    }
    assert ours == expected
    # Months with nobody active at the start are published with a null value.
    for row in totals.itertuples():
        if row.denominator == 0:
            assert pd.isna(row.value)
        else:
            assert row.value == pytest.approx(row.numerator / row.denominator * 100, rel=1e-12)


# --- (c) prepbench case 040 event survey (NPS) ------------------------------------------

NPS_QUESTION = "On a scale of 0-10, how would you rate Sudzilla?"


@pytest.fixture()
def survey() -> pd.DataFrame:
    path = reference_file("prepbench_case040_nps_survey.csv")
    with open(path, encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    return pd.DataFrame(
        {
            "responded_at": [
                dt.datetime.strptime(record["Timestamp"], "%m/%d/%Y %H:%M:%S") for record in records
            ],
            "score": [int(record[NPS_QUESTION]) for record in records],
        }
    )


@pytest.fixture()
def survey_nps_rows(survey: pd.DataFrame, tmp_path: Path) -> pd.DataFrame:
    customer_ids = [f"attendee-{index:03d}" for index in range(len(survey))]
    responses = pd.DataFrame(
        {
            "response_id": [f"answer-{index:03d}" for index in range(len(survey))],
            "customer_id": customer_ids,
            "responded_at": pd.to_datetime(survey["responded_at"]),
            "score": survey["score"].astype(int),
            "touchpoint": "relationship",
        }
    )
    tables = {
        "raw_crm.customers": customers_frame(
            customer_ids, [dt.datetime(2019, 10, 1)] * len(customer_ids)
        ),
        "raw_crm.nps_responses": responses,
    }
    return build_kpi_rows(tmp_path, tables, "int_kpi_rows_nps")


def test_survey_nps(survey: pd.DataFrame, survey_nps_rows: pd.DataFrame) -> None:
    months = {answer.replace(day=1).date() for answer in survey["responded_at"]}
    assert months == {dt.date(2019, 11, 1)}  # the whole survey falls in one month
    promoters = int((survey["score"] >= 9).sum())
    detractors = int((survey["score"] <= 6).sum())
    answers = len(survey)

    row = kpi_row(survey_nps_rows, "nps", dt.date(2019, 11, 1), "total/all")
    assert row["numerator"] == promoters - detractors
    assert row["denominator"] == answers
    assert row["value"] == pytest.approx((promoters - detractors) / answers * 100, rel=1e-12)
    assert row["unit"] == "score"
