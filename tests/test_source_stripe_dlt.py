"""Stripe with dlt: `nyckeltal ingest stripe` and the layout `stripe:dlt` (docs/sources.md
"Stripe with dlt").

A local stand-in for Stripe's API (tests/stripe_api_server.py, on 127.0.0.1) serves the
planted company of test_source_stripe_fivetran (tests/stripe_api_objects.py: the same
objects as its Fivetran tables, as the API returns them). The ingest is run twice on one
landing file: the first run pages through every list (pages of 2, a 429 with Retry-After
and a 500 answered on the way), the second fetches only what is new since the cursor and the
invoices changed since (an open invoice paid, found in /v1/events). A bad key and a failing
endpoint leave the landed data as it was. Then the company, ingested by the CLI into its
warehouse and refreshed with NYCKELTAL_BILLING_SOURCE=stripe:dlt (the refresh ingests
again: nothing new), has the same scorecard as from its contract files.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import vendor_twins as twin_tools
from stripe_api_objects import api_objects, event
from stripe_api_server import API_KEY, StripeApi, serving
from stripe_fivetran_landing import METADATA_KEY

from nyckeltal.ingest.stripe import IngestConfig, IngestError, ingest

FIRST_RUN = 1_735_689_600  # 2025-01-01: the first ingest's clock
LATER = FIRST_RUN + 86_400


def _config(api: StripeApi, landing: Path, key: str = API_KEY, now: int = FIRST_RUN) -> Any:
    return IngestConfig(
        api_key=key,
        destination=landing,
        api_base=api.base_url,
        page_size=2,
        backoff_factor=0.01,
        max_attempts=3,
        now=lambda: now,
    )


def _counts(landing: Path) -> dict[str, int]:
    return twin_tools.landed_counts(
        landing, "stripe", ("customers", "invoices", "subscriptions", "prices")
    )


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two ingests into one landing file, the API's requests of each, and the API."""
    folder = tmp_path_factory.mktemp("stripe_dlt_ingest")
    objects = api_objects(twin_tools.company_files(folder / "billing"))
    api = StripeApi(objects)
    api.fail("/v1/customers", 429)
    api.fail("/v1/prices", 500)
    landing = folder / "landing.duckdb"

    def change() -> None:  # a new customer and invoice; the open invoice I5 is paid
        objects["customers"].append(
            {"id": "cus_new", "object": "customer", "created": LATER, "metadata": {}}
        )
        new_invoice = dict(next(i for i in objects["invoices"] if i["id"] == "I2"))
        objects["invoices"].append({**new_invoice, "id": "I7", "created": LATER})
        paid = next(i for i in objects["invoices"] if i["id"] == "I5")
        paid["status"] = "paid"
        objects["events"].append(event(1, "invoice.paid", LATER + 60, paid))

    return twin_tools.ingest_twice(
        serving,
        api,
        landing,
        lambda: ingest(_config(api, landing)),
        change,
        lambda: ingest(_config(api, landing, now=LATER + 3600)),
    )


def test_every_list_is_paged_with_starting_after(ingested: dict[str, Any]) -> None:
    pages = [query for path, query in ingested["first_requests"] if path == "/v1/invoices"]
    # 8 invoices (with the draft and test-mode ones; the API lists no deleted one) in pages
    # of 2: 4 pages, each after the last id of the one before.
    assert len(pages) == 4
    assert "starting_after" not in pages[0] and all("starting_after" in q for q in pages[1:])
    assert ingested["first"].rows["invoices"] == 8
    assert _counts(ingested["landing"])["subscriptions"] == 5  # with incomplete_expired


def test_a_429_and_a_500_are_retried(ingested: dict[str, Any]) -> None:
    paths = [path for path, _ in ingested["first_requests"]]
    # customers: 3 in pages of 2 = 2 pages, plus the 429's retry; prices: 8 = 4, plus the 500's
    assert paths.count("/v1/customers") == 3
    assert paths.count("/v1/prices") == 5
    assert ingested["first"].rows["customers"] == 3


def test_the_second_ingest_fetches_only_what_changed(ingested: dict[str, Any]) -> None:
    requests = ingested["second_requests"]
    customers = [query for path, query in requests if path == "/v1/customers"]
    newest_customer = max(o["created"] for o in ingested["api"].objects["customers"][:3])
    assert customers == [{"limit": "2", "created[gte]": str(newest_customer)}]
    assert ("/v1/invoices/I5", {}) in requests  # the paid invoice, by id (its event)
    # The newest of the first run is read again (created >= cursor), dropped by dlt's cursor.
    assert ingested["second"].rows["customers"] == 1
    assert ingested["second"].rows["invoices"] == 2  # I7 new, I5 re-fetched


def test_an_invoice_paid_after_creation_is_updated(ingested: dict[str, Any]) -> None:
    landing = ingested["landing"]
    assert twin_tools.landed_rows(
        landing, "select status from stripe.invoices where id = 'I5'"
    ) == [("paid",)]
    assert _counts(landing) == {"customers": 4, "invoices": 9, "subscriptions": 5, "prices": 8}
    lines = twin_tools.landed_rows(landing, "select count(*) from stripe.invoices__lines__data")
    assert lines == [(7,)]  # one per invoice with lines; I5's replaced, not doubled


def test_a_bad_key_is_one_line_and_changes_nothing(ingested: dict[str, Any], tmp_path) -> None:
    landing = twin_tools.landing_copy(ingested["landing"], tmp_path)
    before = _counts(landing)
    with serving(StripeApi(ingested["api"].objects)) as api, pytest.raises(IngestError) as raised:
        ingest(_config(api, landing, key="sk_test_expired", now=LATER + 7200))
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("Stripe refused the API key (401): check NYCKELTAL_STRIPE_API_KEY")
    assert _counts(landing) == before


def test_a_failed_ingest_leaves_the_landed_data_as_it_was(
    ingested: dict[str, Any], tmp_path: Path
) -> None:
    landing = twin_tools.landing_copy(ingested["landing"], tmp_path)
    objects = {name: list(rows) for name, rows in ingested["api"].objects.items()}
    objects["customers"].append({"id": "cus_late", "object": "customer", "created": LATER + 10})
    with serving(StripeApi(objects)) as api:
        api.fail("/v1/invoices", 500, 500, 500)  # every attempt: the ingest fails
        twin_tools.assert_a_failed_ingest_lands_nothing(
            lambda: _counts(landing),
            lambda: ingest(_config(api, landing, now=LATER + 7200)),
            "customers",
        )


def test_the_cli_names_the_key_setting(tmp_path: Path, monkeypatch, capsys) -> None:
    with serving(StripeApi({})) as api:
        monkeypatch.setenv("NYCKELTAL_STRIPE_API_KEY", "sk_test_wrong")
        monkeypatch.setenv("NYCKELTAL_STRIPE_API_BASE", api.base_url)
        error = twin_tools.ingest_error("stripe", tmp_path / "w.duckdb", capsys)
    assert error.startswith("nyckeltal ingest: error: Stripe refused the API key (401)")


# --------------------------------------------------------------------------- the rules


@pytest.fixture(scope="module")
def mapped(ingested: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ingested landing, plus two expanded discounts (S3 50 % off forever, S2 10 USD off
    forever), mapped with NYCKELTAL_BILLING_SOURCE=stripe:dlt and the Stripe customer ids;
    billing.subscriptions validated (validation.txt): the warehouse."""
    folder = tmp_path_factory.mktemp("stripe_dlt_rules")
    landing = twin_tools.landing_copy(ingested["landing"], folder)
    objects = ingested["api"].objects
    coupons = {
        "S3": {"id": "half", "object": "coupon", "duration": "forever", "percent_off": 50.0},
        "S2": {"id": "tenner", "duration": "forever", "amount_off": 1000, "currency": "usd"},
    }
    changed = []
    for number, subscription in enumerate(objects["subscriptions"]):
        if subscription["id"] in coupons:
            subscription["discounts"] = [
                {"id": f"di_{number}", "object": "discount", "coupon": coupons[subscription["id"]]}
            ]
            changed.append(event(10 + number, "customer.subscription.updated", LATER + 90, {}))
            changed[-1]["data"]["object"] = {"id": subscription["id"]}
    objects["events"].extend(changed)
    with serving(StripeApi(objects)) as api:
        ingest(_config(api, landing, now=LATER + 7200))

    def prepare(patch: pytest.MonkeyPatch) -> None:
        patch.setenv("NYCKELTAL_BILLING_SOURCE", "stripe:dlt")
        patch.setenv("NYCKELTAL_LANDING_DATABASE", str(landing))

    return twin_tools.map_and_validate(folder, prepare)


@pytest.mark.dbt
def test_mrr_from_dlt_is_per_month_in_major_units_less_forever_coupons(mapped: Path) -> None:
    mrr = twin_tools.rows_by_key(
        mapped, "select subscription_id, mrr, currency from raw_billing.subscriptions"
    )
    assert mrr["S1"] == (Decimal("1000"), "SEK")  # 12,000 SEK a year / 12
    assert mrr["S4"] == (Decimal("15000"), "JPY")  # 5,000 JPY x 3: zero-decimal
    assert mrr["S3"] == (Decimal("24.5"), "EUR")  # 49 EUR, 50 % off forever
    assert mrr["S2"] == (Decimal("989"), "USD")  # 999 USD, 10 USD off every month
    assert "sub_expired" not in mrr


@pytest.mark.dbt
def test_invoices_from_dlt_are_net_of_tax_without_drafts(mapped: Path) -> None:
    invoices = twin_tools.rows_by_key(
        mapped, "select invoice_id, amount, status, product_line from raw_billing.invoices"
    )
    assert set(invoices) == {"I1", "I2", "I3", "I4", "I5", "I6", "I7", "CN1"}  # no draft, test
    assert invoices["I1"] == (Decimal("12000"), "paid", "analytics")  # 15,000 SEK - 3,000 tax
    assert invoices["I5"] == (Decimal("500"), "paid", "services")  # paid after creation
    assert invoices["CN1"] == (Decimal("-20"), "paid", "analytics")
    plans = twin_tools.rows_by_key(mapped, "select plan_id, list_price from raw_billing.plans")
    assert plans["pro_yearly"] == (Decimal("12000"),)  # the lookup key
    assert plans["price_seats_jpy"] == (Decimal("5000"),)  # no lookup key: the price id


@pytest.mark.dbt
def test_subscriptions_from_dlt_end_when_canceled(mapped: Path) -> None:
    ended = twin_tools.rows_by_key(
        mapped, "select subscription_id, ended_at from raw_billing.subscriptions"
    )
    assert ended["S3"][0].isoformat(" ") == "2024-03-10 09:00:00"
    assert ended["S1"] == (None,)


@pytest.mark.dbt
def test_billing_customers_from_dlt_matching_no_crm_customer_are_reported(mapped: Path) -> None:
    report = mapped.with_name("validation.txt").read_text()
    assert "FAILED" in report
    assert "customer_id" in report and "cus_C1" in report


# --------------------------------------------------------------------------- the twin


@pytest.fixture(scope="module")
def dlt_twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The company ingested by `nyckeltal ingest stripe` into its warehouse's schema
    `stripe`, then refreshed with NYCKELTAL_BILLING_SOURCE=stripe:dlt."""
    folder = tmp_path_factory.mktemp("stripe_dlt_twin")
    api = StripeApi(api_objects(twin_tools.company_files(folder / "billing")))

    def prepare(patch: pytest.MonkeyPatch) -> None:
        patch.setenv("NYCKELTAL_BILLING_SOURCE", "stripe:dlt")
        patch.setenv("NYCKELTAL_STRIPE_API_KEY", API_KEY)
        patch.setenv("NYCKELTAL_STRIPE_API_BASE", api.base_url)
        patch.setenv("NYCKELTAL_STRIPE_CUSTOMER_ID_METADATA_KEY", METADATA_KEY)

    with serving(api):
        warehouse = twin_tools.refresh_company(folder, prepare, before_run=("ingest", "stripe"))
    assert any(path == "/v1/events" for path, _ in api.requests[-6:])  # the run's ingest
    return warehouse


@pytest.mark.dbt
def test_the_scorecard_from_stripe_via_dlt_equals_the_one_from_files(
    dlt_twin: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    codes = ("churn_rate", "revenue_churn_rate", "net_revenue_retention")
    twin_tools.assert_same_scorecard(twin_tools.files_twin(tmp_path_factory), dlt_twin, codes)
    log = dlt_twin.with_name("run.log").read_text()
    assert "stripe: landed in the schema stripe of" in log


@pytest.mark.dbt
def test_the_mapped_tables_from_dlt_are_recorded_as_loaded(dlt_twin: Path) -> None:
    manifest = twin_tools.loaded_row_counts(dlt_twin)
    assert manifest["billing.plans"] == 4
    assert manifest["billing.subscriptions"] == 4
    assert manifest["billing.invoices"] == 7
