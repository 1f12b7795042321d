"""Vendor source `hubspot:fivetran` (docs/sources.md "HubSpot").

The planted company of tests/vendor_twins.py is loaded with NYCKELTAL_CRM_SOURCE=
hubspot:fivetran, its crm__customers and crm__leads files absent and the same CRM written as
Fivetran's HubSpot tables (tests/hubspot_fivetran_landing.py: companies with custom
properties, employee counts and original sources, contacts with lifecycle dates, a customer
dated by its first won deal, a lead that skipped the MQL stage, and deleted, prospect and
subscriber records that must be left out), and refreshed with its billing from Stripe too
(both vendors mapped in one `nyckeltal run`: tests/fivetran_twin.py). Its raw contract
relations equal those loaded from its contract files (so every KPI does), and its published
scorecard equals the one refreshed from its files. Each mapping rule is also tested on the
mapped raw tables, without a refresh.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
import vendor_twins as twin_tools
from fivetran_twin import IDS, fivetran_twin
from hubspot_fivetran_landing import PROPERTIES, write_landing

from nyckeltal import settings, vendors
from nyckeltal.context import RunContext
from nyckeltal.loader import LoadError, load_directory
from nyckeltal.settings import SettingsError


def _hubspot_env(patch: pytest.MonkeyPatch, landing: Path, properties: str = PROPERTIES) -> None:
    patch.setenv("NYCKELTAL_CRM_SOURCE", "hubspot:fivetran")
    patch.setenv("NYCKELTAL_LANDING_DATABASE", str(landing))
    patch.setenv("NYCKELTAL_HUBSPOT_PROPERTIES", properties)


def _landing(folder: Path) -> Path:
    return write_landing(twin_tools.company_files(folder / "crm"), folder / "landing.duckdb")


@pytest.fixture(scope="module")
def hubspot_twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The company refreshed with its CRM from HubSpot and its billing from Stripe, both as
    Fivetran lands them in one landing file (tests/fivetran_twin.py, shared with
    test_source_stripe_fivetran): the warehouse."""
    return fivetran_twin(tmp_path_factory)


@pytest.mark.dbt
def test_the_raw_tables_from_hubspot_equal_the_ones_from_files(
    hubspot_twin: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # The raw relations the refresh mapped (and those of Stripe's billing) equal the ones
    # loaded from the contract files (but the lead ids, HubSpot's contact ids): every KPI equal,
    # those of leads and customers among them.
    files = twin_tools.files_loaded(tmp_path_factory)
    twin_tools.assert_maps_like_files(files, hubspot_twin, IDS)


@pytest.mark.dbt
def test_the_scorecard_from_stripe_and_hubspot_equals_the_one_from_files(
    hubspot_twin: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    files = twin_tools.files_twin(tmp_path_factory)
    # Every KPI's rows equal (segment rows by channel, customer segment and region included);
    # among them those of leads (funnel), customers (churn) and billing (revenue retention)
    # must be there. (The KPIs are not listed here: tests/test_catalogue.py.)
    codes = ("conversion_rate", "churn_rate", "net_revenue_retention")
    twin_tools.assert_same_scorecard(files, hubspot_twin, codes)
    manifest = twin_tools.loaded_row_counts(hubspot_twin)
    assert (manifest["crm.customers"], manifest["billing.subscriptions"]) == (3, 4)
    log = hubspot_twin.with_name("run.log").read_text()
    assert "Running with dbt" not in log  # the mapping's dbt lines only with --verbose


@pytest.mark.dbt
def test_the_mapped_crm_tables_are_recorded_as_loaded(hubspot_twin: Path) -> None:
    manifest = twin_tools.loaded_row_counts(hubspot_twin)
    assert manifest["crm.customers"] == 3
    assert manifest["crm.leads"] == 3
    assert manifest["crm.nps_responses"] == 3  # from files: HubSpot has no NPS


# --------------------------------------------------------------------------- the rules


@pytest.fixture(scope="module")
def mapped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The company's CRM mapped from HubSpot (no refresh), with the HubSpot company ids as
    customer ids (no customer_id property): the warehouse."""
    folder = tmp_path_factory.mktemp("hubspot_rules")
    landing = _landing(folder)
    properties = PROPERTIES.replace("customer_id=nyckeltal_customer_id,", "")
    return twin_tools.map_and_validate(
        folder,
        lambda patch: _hubspot_env(patch, landing, properties),
        leave_out=twin_tools.CRM_FROM_HUBSPOT,
        tables=("crm.customers", "crm.nps_responses"),
    )


def _customers(warehouse: Path) -> dict:
    return twin_tools.rows_by_key(
        warehouse,
        "select customer_id, created_at, segment, region, country_code, acquisition_channel, "
        "acquisition_campaign_id, lead_id from raw_crm.customers",
    )


def test_customers_are_live_companies_that_became_customers(mapped: Path) -> None:
    customers = _customers(mapped)
    assert set(customers) == {"101", "102", "103"}  # no deleted company, no prospect
    assert customers["101"][0] == dt.datetime(2024, 1, 4, 10)  # the customer date
    # No customer date: the close date of its first won deal (not the deleted earlier one).
    assert customers["103"][0] == dt.datetime(2024, 1, 10, 9)


def test_segment_region_country_channel_campaign(mapped: Path) -> None:
    customers = _customers(mapped)
    # 12 employees smb, 5,000 enterprise, 200 mid_market; the region from the property.
    assert customers["101"][1:6] == ("smb", "nordics", "SE", "paid_search", "CA1")
    assert customers["102"][1:6] == ("enterprise", "north_america", "US", "organic", None)
    assert customers["103"][1:6] == ("mid_market", "dach", "DE", "referral", None)


def test_leads_from_lifecycle_dates(mapped: Path) -> None:
    leads = twin_tools.rows_by_key(
        mapped,
        "select lead_id, created_at, channel, campaign_id, qualified_at, converted_customer_id "
        "from raw_crm.leads",
    )
    assert set(leads) == {"201", "202", "203"}  # no deleted contact, no subscriber
    assert leads["201"] == (
        dt.datetime(2024, 1, 2, 9),
        "paid_search",
        "CA1",
        dt.datetime(2024, 1, 3, 10),
        "101",
    )
    assert leads["202"] == (dt.datetime(2024, 1, 5, 12, 30), "email", "CA2", None, None)
    # No MQL date: qualified when it became a sales-qualified lead.
    assert leads["203"][3:] == (dt.datetime(2024, 1, 7, 11), "102")
    customers = _customers(mapped)
    assert (customers["101"][-1], customers["102"][-1], customers["103"][-1]) == (
        "201",
        "203",
        None,
    )


def test_billing_and_nps_customers_not_in_hubspot_are_reported(mapped: Path) -> None:
    # The files' NPS answers name C1..C3, the HubSpot ids are 101..103 here.
    report = mapped.with_name("validation.txt").read_text()
    assert "FAILED" in report
    assert "customer_id" in report and "C1" in report


# --------------------------------------------------------------------------- errors


def test_the_load_leaves_the_crm_to_hubspot(tmp_path: Path, monkeypatch) -> None:
    # No crm__customers, and NPS answers naming customers the load has not got: refused with
    # files, accepted when HubSpot maps the CRM (the raw suites check them after the mapping).
    company = twin_tools.company_files(tmp_path / "company", twin_tools.CRM_FROM_HUBSPOT)
    warehouse = tmp_path / "w.duckdb"
    with pytest.raises(LoadError, match="has no crm__customers.csv or .parquet"):
        load_directory(company, RunContext.build(warehouse=warehouse), progress=lambda _: None)
    monkeypatch.setenv("NYCKELTAL_CRM_SOURCE", "hubspot:fivetran")
    report = load_directory(company, RunContext.build(warehouse=warehouse), lambda _: None)
    assert {"crm.customers", "crm.leads"} <= set(report.absent)
    assert "crm.nps_responses" not in report.absent


def test_a_missing_landed_table_is_a_one_line_error(tmp_path: Path, monkeypatch) -> None:
    landing = _landing(tmp_path)
    with duckdb.connect(str(landing)) as connection:
        connection.execute("drop table hubspot.deal_company")
    _hubspot_env(monkeypatch, landing)
    with pytest.raises(vendors.VendorSourceError) as raised:
        vendors.map_vendor_tables(RunContext.build(warehouse=tmp_path / "w.duckdb"))
    assert str(raised.value) == (
        "NYCKELTAL_CRM_SOURCE=hubspot:fivetran: the landed table deal_company is missing "
        f"from the schema hubspot of {landing}"
    )


def test_a_missing_custom_property_is_a_one_line_error(tmp_path: Path, monkeypatch) -> None:
    landing = _landing(tmp_path)
    _hubspot_env(monkeypatch, landing, PROPERTIES + ",segment=customer_tier")
    with pytest.raises(vendors.VendorSourceError) as raised:
        vendors.map_vendor_tables(RunContext.build(warehouse=tmp_path / "w.duckdb"))
    assert str(raised.value) == (
        "NYCKELTAL_CRM_SOURCE=hubspot:fivetran: the column property_customer_tier (HubSpot "
        "property customer_tier, NYCKELTAL_HUBSPOT_PROPERTIES segment=customer_tier) is "
        f"missing from the landed table company in the schema hubspot of {landing}"
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("CRM_SOURCE", "salesforce", "supported crm sources are files, hubspot:fivetran"),
        ("CRM_SOURCE", "hubspot:stitch", "hubspot:fivetran, hubspot:dlt, hubspot:airbyte"),
        ("HUBSPOT_PROPERTIES", "tier=customer_tier", "'tier=customer_tier' is not column="),
        # dlt would land `hubspot-prod` as hubspot_prod; dbt's sources quote it as it is
        ("HUBSPOT_SCHEMA", "hubspot-prod", "a schema name of lower-case letters, digits and _"),
    ],
)
def test_bad_crm_settings_are_one_line_errors(
    name: str, value: str, expected: str, monkeypatch
) -> None:
    monkeypatch.setenv(f"NYCKELTAL_{name}", value)
    with pytest.raises(SettingsError) as raised:
        settings.current()
    message = str(raised.value)
    assert "\n" not in message
    assert f"NYCKELTAL_{name}" in message and expected in message
