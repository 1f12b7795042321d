"""The Dagster ingest assets (orchestration/defs/ingest.py): one per vendor whose configured
layout Nyckeltal lands itself, upstream of the raw tables its system maps; without the
vendor's credential it does nothing (the landed tables are used as they are); a refused
credential fails the step in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import AssetKey, materialize
from personio_api_server import PersonioApi, serving

from nyckeltal.context import RunContext
from nyckeltal.vendor_layouts import BILLING, HR
from orchestration.defs.ingest import build_ingest_asset, build_ingest_assets, ingested_tables
from orchestration.defs.sources import raw_table_specs
from orchestration.resources import NyckeltalResource

CREDENTIALS = ("NYCKELTAL_PERSONIO_CLIENT_ID", "NYCKELTAL_PERSONIO_CLIENT_SECRET")


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Billing from stripe:dlt, HR from personio:dlt, no Personio credential: the warehouse."""
    warehouse = tmp_path / "nyckeltal.duckdb"
    monkeypatch.setenv("NYCKELTAL_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("NYCKELTAL_BILLING_SOURCE", "stripe:dlt")
    monkeypatch.setenv("NYCKELTAL_HR_SOURCE", "personio:dlt")
    for name in CREDENTIALS:
        monkeypatch.delenv(name, raising=False)
    return warehouse


def test_each_ingested_vendor_is_an_asset_upstream_of_its_raw_tables(settings: Path) -> None:
    context = RunContext.build()
    stripe, personio = AssetKey(["stripe"]), AssetKey(["personio"])
    upstream = ingested_tables(context)
    assert upstream == {
        **{table: stripe for table in BILLING.mapped_tables},
        **{table: personio for table in HR.mapped_tables},
    }
    assets = build_ingest_assets(context)
    assert [asset.key for asset in assets] == [stripe, personio]
    assert {asset.group_names_by_key[asset.key] for asset in assets} == {"ingest"}
    deps = {
        spec.key.to_user_string(): [dep.asset_key for dep in spec.deps]
        for spec in raw_table_specs(upstream)
    }
    assert deps["raw_billing/invoices"] == [stripe]
    assert deps["raw_hr/employees"] == [personio]
    assert deps["raw_hr/payroll"] == []  # payroll stays files


def test_without_a_credential_the_asset_uses_the_landed_tables(settings: Path) -> None:
    result = materialize(
        [build_ingest_asset("personio")],
        resources={"nyckeltal": NyckeltalResource(warehouse=str(settings))},
    )
    assert result.success
    [materialization] = result.asset_materializations_for_node("personio")
    assert materialization.metadata["tables"].value == "not ingested (no key)"
    assert not settings.exists()  # nothing landed


def test_a_refused_credential_fails_the_step_in_one_line(
    settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(PersonioApi([])) as api:
        monkeypatch.setenv("NYCKELTAL_PERSONIO_CLIENT_ID", "papi-id")
        monkeypatch.setenv("NYCKELTAL_PERSONIO_CLIENT_SECRET", "papi-wrong")
        monkeypatch.setenv("NYCKELTAL_PERSONIO_API_BASE", api.base_url)
        result = materialize(
            [build_ingest_asset("personio")],
            resources={"nyckeltal": NyckeltalResource(warehouse=str(settings))},
            raise_on_error=False,
        )
    assert not result.success
    [failure] = [event for event in result.all_events if event.is_step_failure]
    message = failure.step_failure_data.error.message
    assert "Personio refused the API credentials (401)" in message
