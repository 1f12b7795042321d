"""HubSpot with dlt: `nyckeltal ingest hubspot` and the layout `hubspot:dlt` (docs/sources.md
"HubSpot with dlt").

A local stand-in for HubSpot's CRM API (tests/hubspot_api_server.py, on 127.0.0.1) serves
the planted company of test_source_hubspot_fivetran (tests/hubspot_api_objects.py: the same
records as its Fivetran tables, as the API returns them). The ingest is run twice on one
landing file: the first pages through every search (pages of 2, a 429 with Retry-After and a
500 answered on the way), the second asks only for what was modified since the cursor (a
company renamed, a contact added). An expired token, an unknown property and a failing
endpoint leave the landed data as it was. The ingested tables, mapped, give the contract
files' customers and leads; and the company, ingested by the CLI into its warehouse and
refreshed with NYCKELTAL_CRM_SOURCE=hubspot:dlt, has the same scorecard as from its files.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path
from typing import Any

import pytest
import vendor_twins as twin_tools
from hubspot_api_objects import api_objects, milliseconds, modified
from hubspot_api_server import ACCESS_TOKEN, HubSpotApi, serving
from hubspot_fivetran_landing import PROPERTIES

from nyckeltal.ingest.hubspot import IngestConfig, IngestError, ingest
from nyckeltal.vendor_layouts import parse_properties

SEARCH = "/crm/v3/objects/{}/search"
RENAMED_AT = modified(100)


def _config(
    api: HubSpotApi, landing: Path, token: str = ACCESS_TOKEN, properties: str = PROPERTIES
) -> Any:
    return IngestConfig(
        api_key=token,
        destination=landing,
        api_base=api.base_url,
        custom_properties=parse_properties(properties),
        page_size=2,
        backoff_factor=0.01,
        max_attempts=3,
    )


def _counts(landing: Path) -> dict[str, int]:
    return twin_tools.landed_counts(landing, "hubspot", ("companies", "contacts", "deals"))


def _searches(requests: list, objects: str) -> list[dict[str, Any]]:
    return [body for method, path, _, body in requests if path == SEARCH.format(objects)]


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two ingests into one landing file, the API's requests of each, and the API."""
    folder = tmp_path_factory.mktemp("hubspot_dlt_ingest")
    objects = api_objects(twin_tools.company_files(folder / "crm"))
    api = HubSpotApi(objects)
    api.fail(SEARCH.format("companies"), 429)
    api.fail(SEARCH.format("contacts"), 500)
    landing = folder / "landing.duckdb"

    def change() -> None:  # Globex renamed, a subscriber (no lifecycle date) added
        globex = next(o for o in objects["companies"] if o["id"] == "102")
        globex["properties"] |= {"name": "Globex Corporation", "hs_lastmodifieddate": RENAMED_AT}
        globex["updatedAt"] = RENAMED_AT
        subscriber = dict(objects["contacts"][-1], id="250", updatedAt=RENAMED_AT)
        subscriber["properties"] = {"lastmodifieddate": RENAMED_AT, "hs_object_id": "250"}
        objects["contacts"].append(subscriber)

    return twin_tools.ingest_twice(
        serving, api, landing, lambda: ingest(_config(api, landing)), change
    )


def test_every_search_is_paged_with_after(ingested: dict[str, Any]) -> None:
    pages = _searches(ingested["first_requests"], "companies")
    # 4 live companies (the deleted one is not searchable) in pages of 2, after a 429.
    assert len(pages) == 3
    assert "after" not in pages[0] and "after" not in pages[1] and pages[2]["after"] == "2"
    assert pages[0]["filterGroups"][0]["filters"][0] == {
        "propertyName": "hs_lastmodifieddate",
        "operator": "GTE",
        "value": "0",
    }
    assert "nyckeltal_customer_id" in pages[0]["properties"]  # NYCKELTAL_HUBSPOT_PROPERTIES
    companies = twin_tools.landed_rows(
        ingested["landing"], "select id, archived from hubspot.companies"
    )
    # the live ones and the deleted company, listed with archived=true
    assert sorted(companies) == [
        ("101", False),
        ("102", False),
        ("103", False),
        ("900", True),
        ("901", False),
    ]


def test_a_429_and_a_500_are_retried(ingested: dict[str, Any]) -> None:
    assert len(_searches(ingested["first_requests"], "contacts")) == 3  # 2 pages + the 500
    assert ingested["first"].rows["contacts"] == 5  # 4 live, 1 archived


def test_a_search_past_the_cap_starts_again_from_the_last_date_read(
    ingested: dict[str, Any], tmp_path: Path
) -> None:
    # A cap of 2 results per query: the companies' second page would pass it, so the search
    # starts again from the modified date of the last company read.
    objects = ingested["api"].objects
    with serving(HubSpotApi(objects, search_cap=2)) as api:
        config = dataclasses.replace(_config(api, tmp_path / "landing.duckdb"), search_cap=2)
        ingest(config)
    pages = _searches(api.requests, "companies")
    dates = sorted(o["updatedAt"] for o in objects["companies"] if not o["archived"])
    values = [page["filterGroups"][0]["filters"][0]["value"] for page in pages]
    assert values == ["0", str(milliseconds(dates[1])), str(milliseconds(dates[2]))]
    assert all("after" not in page for page in pages)
    landed = twin_tools.landed_rows(tmp_path / "landing.duckdb", "select id from hubspot.companies")
    assert sorted(landed) == [("101",), ("102",), ("103",), ("900",), ("901",)]


def test_a_deal_is_landed_with_its_companies_and_the_stages(ingested: dict[str, Any]) -> None:
    landing = ingested["landing"]
    links = twin_tools.landed_rows(
        landing,
        "select deals.id, links.id from hubspot.deals__associations__companies__results as "
        "links inner join hubspot.deals as deals on links._dlt_parent_id = deals._dlt_id",
    )
    assert sorted(links) == [("1030", "103"), ("9010", "901")]  # the deleted deal has none
    stages = twin_tools.landed_rows(
        landing,
        "select id, metadata__is_closed, metadata__probability from hubspot.deal_pipelines__stages",
    )
    assert ("closedwon", "true", "1.0") in stages and len(stages) == 3


def test_the_second_ingest_fetches_only_what_changed(ingested: dict[str, Any]) -> None:
    requests = ingested["second_requests"]
    [search] = _searches(requests, "companies")
    newest = max(o["updatedAt"] for o in ingested["api"].objects["companies"] if o["id"] != "102")
    assert search["filterGroups"][0]["filters"][0]["value"] == str(milliseconds(newest))
    # The newest deal of the first ingest is searched again (>= cursor) and dropped by dlt's
    # cursor: no deal is read by id.
    by_id = [path for _, path, _, _ in requests if path.startswith("/crm/v3/objects/deals/")]
    assert by_id == ["/crm/v3/objects/deals/search"]
    # The renamed company and the new contact; the archived records are listed again, the
    # pipelines read again.
    assert ingested["second"].rows == {
        "companies": 2,
        "contacts": 2,
        "deals": 1,
        "deal_pipelines": 1,
        "deal_pipelines__stages": 3,
    }
    names = twin_tools.landed_rows(
        ingested["landing"], "select properties__name from hubspot.companies"
    )
    assert ("Globex Corporation",) in names
    assert _counts(ingested["landing"]) == {"companies": 5, "contacts": 6, "deals": 3}


def test_an_expired_token_is_one_line_and_changes_nothing(
    ingested: dict[str, Any], tmp_path: Path
) -> None:
    landing = twin_tools.landing_copy(ingested["landing"], tmp_path)
    before = _counts(landing)
    with serving(HubSpotApi(ingested["api"].objects)) as api, pytest.raises(IngestError) as raised:
        ingest(_config(api, landing, token="pat-expired", properties=""))
    assert str(raised.value) == (
        "HubSpot refused the access token (401): check NYCKELTAL_HUBSPOT_API_KEY; "
        "the data landed before is unchanged"
    )
    assert _counts(landing) == before


def test_an_unknown_property_is_one_line(ingested: dict[str, Any], tmp_path: Path) -> None:
    with serving(HubSpotApi(ingested["api"].objects)) as api, pytest.raises(IngestError) as raised:
        ingest(_config(api, tmp_path / "landing.duckdb", properties="segment=tier"))
    assert str(raised.value) == (
        "NYCKELTAL_HUBSPOT_PROPERTIES segment=tier: HubSpot has no companies property tier; "
        "the data landed before is unchanged"
    )


def test_a_failed_ingest_leaves_the_landed_data_as_it_was(
    ingested: dict[str, Any], tmp_path: Path
) -> None:
    landing = twin_tools.landing_copy(ingested["landing"], tmp_path)
    objects = {name: list(rows) for name, rows in ingested["api"].objects.items()}
    late = dict(objects["companies"][0], id="950", updatedAt=modified(200))
    late["properties"] = {**late["properties"], "hs_lastmodifieddate": modified(200)}
    objects["companies"].append(late)
    with serving(HubSpotApi(objects)) as api:
        api.fail(SEARCH.format("contacts"), 500, 500, 500)  # every attempt: the ingest fails
        twin_tools.assert_a_failed_ingest_lands_nothing(
            lambda: _counts(landing), lambda: ingest(_config(api, landing)), "companies"
        )


def test_the_cli_names_the_token_setting(tmp_path: Path, monkeypatch, capsys) -> None:
    with serving(HubSpotApi({})) as api:
        monkeypatch.setenv("NYCKELTAL_HUBSPOT_API_KEY", "pat-wrong")
        monkeypatch.setenv("NYCKELTAL_HUBSPOT_API_BASE", api.base_url)
        monkeypatch.setenv("NYCKELTAL_HUBSPOT_PROPERTIES", PROPERTIES)
        error = twin_tools.ingest_error("hubspot", tmp_path / "w.duckdb", capsys)
    assert error.startswith("nyckeltal ingest: error: HubSpot refused the access token (401)")


# --------------------------------------------------------------------------- the rules


@pytest.fixture(scope="module")
def mapped(ingested: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ingested landing mapped with NYCKELTAL_CRM_SOURCE=hubspot:dlt (no refresh), the
    customers validated: the warehouse."""
    folder = tmp_path_factory.mktemp("hubspot_dlt_rules")
    landing = twin_tools.landing_copy(ingested["landing"], folder)

    def prepare(patch: pytest.MonkeyPatch) -> None:
        patch.setenv("NYCKELTAL_CRM_SOURCE", "hubspot:dlt")
        patch.setenv("NYCKELTAL_LANDING_DATABASE", str(landing))
        patch.setenv("NYCKELTAL_HUBSPOT_PROPERTIES", PROPERTIES)

    return twin_tools.map_and_validate(
        folder, prepare, leave_out=twin_tools.CRM_FROM_HUBSPOT, tables=("crm.customers",)
    )


def _files(name: str) -> list[dict[str, str]]:
    with open(twin_tools.FIXTURES / "minimal" / f"{name}.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _text(row: tuple) -> tuple:
    return tuple("" if value is None else str(value) for value in row)


@pytest.mark.dbt
def test_customers_from_dlt_are_the_files_customers(mapped: Path) -> None:
    columns = "created_at, company_name, segment, region, country_code, acquisition_channel"
    customers = twin_tools.rows_by_key(
        mapped, f"select customer_id, {columns}, acquisition_campaign_id from raw_crm.customers"
    )
    expected = {row["customer_id"]: row for row in _files("crm__customers")}
    expected["C2"]["company_name"] = "Globex Corporation"  # renamed since the first ingest
    assert set(customers) == set(expected)  # no deleted company, no prospect
    for key, row in expected.items():
        names = [*columns.split(", "), "acquisition_campaign_id"]
        assert _text(customers[key]) == tuple(row[name] for name in names), key


@pytest.mark.dbt
def test_leads_from_dlt_are_the_files_leads(mapped: Path) -> None:
    leads = twin_tools.rows_by_key(
        mapped,
        "select lead_id, created_at, channel, campaign_id, qualified_at, converted_customer_id "
        "from raw_crm.leads",
    )
    # Contact 201 + n is the file's lead n + 1; no deleted contact, no subscriber.
    expected = {str(201 + n): row for n, row in enumerate(_files("crm__leads"))}
    assert set(leads) == set(expected)
    names = ("created_at", "channel", "campaign_id", "qualified_at", "converted_customer_id")
    for key, row in expected.items():
        assert _text(leads[key]) == tuple(row[name] for name in names), key
    lead_ids = twin_tools.rows_by_key(mapped, "select customer_id, lead_id from raw_crm.customers")
    assert lead_ids == {"C1": ("201",), "C2": ("203",), "C3": (None,)}


# --------------------------------------------------------------------------- the twin


@pytest.fixture(scope="module")
def dlt_twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The company ingested by `nyckeltal ingest hubspot` into its warehouse's schema
    `hubspot`, then refreshed with NYCKELTAL_CRM_SOURCE=hubspot:dlt."""
    folder = tmp_path_factory.mktemp("hubspot_dlt_twin")
    api = HubSpotApi(api_objects(twin_tools.company_files(folder / "crm")))
    settings = {
        "NYCKELTAL_CRM_SOURCE": "hubspot:dlt",
        "NYCKELTAL_HUBSPOT_API_KEY": ACCESS_TOKEN,
        "NYCKELTAL_HUBSPOT_PROPERTIES": PROPERTIES,
    }
    leave_out = twin_tools.CRM_FROM_HUBSPOT
    warehouse = twin_tools.ingest_and_refresh(folder, api, "hubspot", settings, leave_out)
    searches = [path for _, path, _, _ in api.requests if path.endswith("/search")]
    assert len(searches) == 6  # companies, contacts, deals: the CLI's ingest, then the run's
    return warehouse


@pytest.mark.dbt
def test_the_scorecard_from_hubspot_via_dlt_equals_the_one_from_files(
    dlt_twin: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    codes = ("conversion_rate", "cpl", "cost_per_mql", "cac", "churn_rate", "market_share", "nps")
    twin_tools.assert_same_scorecard(twin_tools.files_twin(tmp_path_factory), dlt_twin, codes)
    assert "hubspot: landed in the schema hubspot of" in dlt_twin.with_name("run.log").read_text()
    manifest = twin_tools.loaded_row_counts(dlt_twin)
    assert (manifest["crm.customers"], manifest["crm.leads"]) == (3, 3)
