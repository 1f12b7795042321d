"""The planted company of tests/vendor_twins.py refreshed with both Fivetran layouts at once:
its billing from Stripe (NYCKELTAL_BILLING_SOURCE=stripe:fivetran) and its CRM from HubSpot
(NYCKELTAL_CRM_SOURCE=hubspot:fivetran), in one landing file. One `nyckeltal run`, built once
per test run and shared by test_source_stripe_fivetran and test_source_hubspot_fivetran:
its raw relations are what each mapping wrote, its published scorecard what a whole refresh
with both made of them."""

from __future__ import annotations

from pathlib import Path

import hubspot_fivetran_landing as hubspot_landing
import pytest
import stripe_fivetran_landing as stripe_landing
import vendor_twins as twin_tools
from shared_warehouses import build_once

LEAVE_OUT = (*twin_tools.BILLING_FROM_STRIPE, *twin_tools.CRM_FROM_HUBSPOT)
# HubSpot's contact ids are the lead ids (the files' L1..L3); every other id is the contract's.
IDS = {"lead_id": {"201": "L1", "202": "L2", "203": "L3"}}


def fivetran_env(
    patch: pytest.MonkeyPatch, landing: Path, properties: str = hubspot_landing.PROPERTIES
) -> None:
    """The settings of both layouts, their tables in the DuckDB file `landing` (the Stripe
    customers' metadata and a HubSpot company property hold the contract customer id)."""
    patch.setenv("NYCKELTAL_LANDING_DATABASE", str(landing))
    patch.setenv("NYCKELTAL_CRM_SOURCE", "hubspot:fivetran")
    patch.setenv("NYCKELTAL_HUBSPOT_PROPERTIES", properties)
    patch.setenv("NYCKELTAL_BILLING_SOURCE", "stripe:fivetran")
    patch.setenv("NYCKELTAL_STRIPE_CUSTOMER_ID_METADATA_KEY", stripe_landing.METADATA_KEY)


def fivetran_twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The company refreshed with its billing from Stripe and its CRM from HubSpot (their
    contract files left out), both as Fivetran lands them: the warehouse (run.log beside it)."""

    def build(folder: Path) -> None:
        landing = folder / "landing.duckdb"
        hubspot_landing.write_landing(twin_tools.company_files(folder / "crm"), landing)
        stripe_landing.write_landing(twin_tools.company_files(folder / "billing"), landing)
        twin_tools.refresh_company(
            folder, lambda patch: fivetran_env(patch, landing), leave_out=LEAVE_OUT
        )

    return build_once(tmp_path_factory, "stripe_hubspot_twin", build) / "nyckeltal.duckdb"
