"""Vendor source `hubspot:airbyte` (docs/sources.md "HubSpot with Airbyte"), and Stripe and
HubSpot through Airbyte together.

The CRM of the planted company (tests/vendor_twins.py) written as Airbyte's HubSpot source
lands it (tests/hubspot_airbyte_landing.py: properties_<name> columns, association and stage
arrays, an older version of every company, deleted records as Airbyte keeps them, a retired
stage) is mapped without a refresh, and raw_crm.customers and raw_crm.leads are compared with
the company's contract files row for row (the leads under their HubSpot contact ids). Then
the company with its billing from Stripe and its CRM from HubSpot, both as Airbyte lands
them, is refreshed once: its scorecard equals the one from its contract files.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import stripe_airbyte_landing as stripe_landing
import vendor_twins as twin_tools
from hubspot_airbyte_landing import PROPERTIES, write_landing
from test_source_stripe_airbyte import stripe_env

from nyckeltal import settings


def hubspot_env(patch: pytest.MonkeyPatch, landing: Path, properties: str = PROPERTIES) -> None:
    twin_tools.hubspot_env(patch, "hubspot:airbyte", landing, properties)


def _landed_company(folder: Path) -> Path:
    """The company's contract files in folder/landed, its CRM as Airbyte's HubSpot tables
    in folder/landing.duckdb: the landing file."""
    company = twin_tools.company_files(folder / "landed")
    return write_landing(company, folder / "landing.duckdb")


@pytest.fixture(scope="module")
def mapped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The company's CRM mapped from Airbyte's HubSpot tables (no refresh): the warehouse."""
    folder = tmp_path_factory.mktemp("hubspot_airbyte_rules")
    landing = _landed_company(folder)
    return twin_tools.map_and_validate(
        folder,
        lambda patch: hubspot_env(patch, landing),
        leave_out=twin_tools.CRM_FROM_HUBSPOT,
        tables=("crm.customers", "crm.leads", "crm.nps_responses"),
    )


def _contract(name: str) -> list[dict[str, str]]:
    with open(twin_tools.FIXTURES / "minimal" / f"{name}.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _text(row: tuple) -> tuple:
    return tuple(
        "" if v is None else v.isoformat(" ") if hasattr(v, "isoformat") else v for v in row
    )


def test_customers_equal_the_contract_files(mapped: Path) -> None:
    # The leads are HubSpot contacts 201, 202, ... in the order of crm__leads.
    lead_ids = {row["lead_id"]: str(201 + n) for n, row in enumerate(_contract("crm__leads"))}
    columns = (
        "created_at",
        "company_name",
        "segment",
        "region",
        "country_code",
        "acquisition_channel",
        "acquisition_campaign_id",
        "lead_id",
    )
    customers = twin_tools.rows_by_key(
        mapped, f"select customer_id, {', '.join(columns)} from raw_crm.customers"
    )
    expected = {
        row["customer_id"]: tuple(
            lead_ids.get(row[c], "") if c == "lead_id" else row[c] for c in columns
        )
        for row in _contract("crm__customers")
    }
    # No deleted company, no prospect (its deal won in a retired stage), the latest names.
    assert {key: _text(row) for key, row in customers.items()} == expected


def test_leads_equal_the_contract_files(mapped: Path) -> None:
    columns = ("created_at", "channel", "campaign_id", "qualified_at", "converted_customer_id")
    leads = twin_tools.rows_by_key(
        mapped, f"select lead_id, {', '.join(columns)} from raw_crm.leads"
    )
    expected = {
        str(201 + n): tuple(row[c] for c in columns)
        for n, row in enumerate(_contract("crm__leads"))
    }
    # No deleted (archived) contact, no subscriber; a skipped MQL stage dated by the SQL one.
    assert {key: _text(row) for key, row in leads.items()} == expected


def test_the_mapped_crm_is_validated(mapped: Path) -> None:
    assert "FAILED" not in mapped.with_name("validation.txt").read_text()


def test_a_missing_custom_property_is_a_one_line_error(tmp_path: Path, monkeypatch) -> None:
    landing = _landed_company(tmp_path)
    hubspot_env(monkeypatch, landing, PROPERTIES + ",segment=customer_tier")
    assert twin_tools.mapping_error(tmp_path / "w.duckdb") == (
        "NYCKELTAL_CRM_SOURCE=hubspot:airbyte: the column properties_customer_tier (HubSpot "
        "property customer_tier, NYCKELTAL_HUBSPOT_PROPERTIES segment=customer_tier) is "
        f"missing from the landed table companies in the schema hubspot of {landing}"
    )


def test_hubspot_airbyte_is_a_crm_source(monkeypatch) -> None:
    monkeypatch.setenv("NYCKELTAL_CRM_SOURCE", "hubspot:airbyte")
    assert settings.current().crm_source == "hubspot:airbyte"


# --------------------------------------------------------------------------- the twin


@pytest.fixture(scope="module")
def airbyte_twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The company refreshed with its billing from Stripe and its CRM from HubSpot, both as
    Airbyte lands them in one landing file: the warehouse."""

    def prepare(patch: pytest.MonkeyPatch, landing: Path) -> None:
        hubspot_env(patch, landing)
        stripe_env(patch, landing)

    writers = (write_landing, stripe_landing.write_landing)
    return twin_tools.stripe_and_hubspot_twin(tmp_path_factory, "airbyte_twin", writers, prepare)


@pytest.mark.dbt
def test_the_scorecard_from_stripe_and_hubspot_via_airbyte_equals_the_one_from_files(
    airbyte_twin: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Billing and CRM KPIs: churn and retention from Stripe, the funnel and CAC from HubSpot.
    codes = ("churn_rate", "revenue_churn_rate", "net_revenue_retention", "conversion_rate", "cac")
    twin_tools.assert_same_scorecard(twin_tools.files_twin(tmp_path_factory), airbyte_twin, codes)
    mapped = {"crm.customers": 3, "crm.leads": 3, "billing.subscriptions": 4, "billing.invoices": 7}
    counts = twin_tools.loaded_row_counts(airbyte_twin)
    assert {table: counts[table] for table in mapped} == mapped
