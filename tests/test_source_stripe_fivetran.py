"""Vendor source `stripe:fivetran` (docs/sources.md "Stripe").

A small planted company (tests/fixtures/minimal's CRM, HR and marketing, with the billing of
tests/fixtures/stripe_company: an annual plan, a quantity of 3, JPY, a credit note, a void
invoice, a canceled subscription) is (a) loaded from contract files only, (b) refreshed with
NYCKELTAL_BILLING_SOURCE=stripe:fivetran, its billing files absent and the same billing
written as Fivetran's Stripe tables (tests/stripe_fivetran_landing.py, with a draft, a
deleted and a test-mode invoice, an incomplete_expired subscription and superseded
subscription versions that must be left out), with its CRM from HubSpot too
(tests/fivetran_twin.py). The raw contract relations the refresh mapped equal those loaded
from the files, so every KPI is equal (the published scorecards are compared in
test_source_hubspot_fivetran). Each mapping rule is also tested on its own, on the mapped
raw tables, without a refresh.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import vendor_twins as twin_tools
from fivetran_twin import IDS, fivetran_twin
from stripe_fivetran_landing import write_landing

from nyckeltal import settings, vendors
from nyckeltal.context import RunContext
from nyckeltal.settings import SettingsError


def _stripe_env(patch: pytest.MonkeyPatch, landing: Path, metadata_key: str | None) -> None:
    patch.setenv("NYCKELTAL_BILLING_SOURCE", "stripe:fivetran")
    patch.setenv("NYCKELTAL_LANDING_DATABASE", str(landing))
    if metadata_key:
        patch.setenv("NYCKELTAL_STRIPE_CUSTOMER_ID_METADATA_KEY", metadata_key)


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The company loaded from its files, and refreshed with its billing from Stripe (and its
    CRM from HubSpot: tests/fivetran_twin.py, shared with test_source_hubspot_fivetran):
    {"files": warehouse, "stripe": ...}."""
    return {
        "files": twin_tools.files_loaded(tmp_path_factory),
        "stripe": fivetran_twin(tmp_path_factory),
    }


@pytest.mark.dbt
def test_the_raw_tables_from_stripe_equal_the_ones_from_files(twins: dict[str, Path]) -> None:
    # The raw relations the refresh mapped (and those of HubSpot's CRM) equal the ones loaded
    # from the contract files (but HubSpot's lead ids): every KPI equal (the published
    # scorecards are compared in test_source_hubspot_fivetran).
    twin_tools.assert_maps_like_files(twins["files"], twins["stripe"], IDS)


@pytest.mark.dbt
def test_the_mapped_tables_are_recorded_as_loaded(twins: dict[str, Path]) -> None:
    manifest = twin_tools.loaded_row_counts(twins["stripe"])
    assert manifest["billing.plans"] == 4
    assert manifest["billing.subscriptions"] == 4
    assert manifest["billing.invoices"] == 7


# --------------------------------------------------------------------------- the rules


@pytest.fixture(scope="module")
def mapped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The planted company's Stripe tables, plus prices of every interval, mapped (no
    refresh) with the Stripe customer ids as customer ids: the warehouse."""
    folder = tmp_path_factory.mktemp("stripe_rules")
    landing = write_landing(twin_tools.company_files(folder / "billing"), folder / "landing.duckdb")
    with duckdb.connect(str(landing)) as connection:
        connection.execute(
            """
            insert into stripe.price (id, nickname, product_id, currency, unit_amount,
                recurring_interval, recurring_interval_count, livemode) values
            ('price_weekly', 'Weekly', 'prod_platform', 'eur', 1200, 'week', 1, true),
            ('price_daily', 'Daily', 'prod_platform', 'krw', 1000, 'day', 1, true),
            ('price_quarterly', 'Quarterly', 'prod_platform', 'eur', 30000, 'month', 3, true);
            insert into stripe.subscription_history (id, customer_id, status, start_date,
                livemode, _fivetran_active) values
            ('sub_mix', 'cus_C1', 'active', '2024-01-01', true, true);
            insert into stripe.subscription_item values
            ('si_w', 'sub_mix', 'price_weekly', 2),
            ('si_d', 'sub_mix', 'price_daily', 1),
            ('si_q', 'sub_mix', 'price_quarterly', 1);
            create table stripe.coupon (id varchar, duration varchar, percent_off double,
                amount_off bigint, currency varchar);
            insert into stripe.coupon values ('half', 'forever', 50, null, null),
                ('tenner', 'forever', null, 1000, 'usd'), ('once', 'once', 90, null, null);
            create table stripe.discount (id varchar, type varchar, subscription_id varchar,
                coupon_id varchar);
            insert into stripe.discount values ('di_1', 'subscription', 'S3', 'half'),
                ('di_2', 'subscription', 'S2', 'tenner'), ('di_3', 'subscription', 'S1', 'once');
            """
        )
    return twin_tools.map_and_validate(folder, lambda patch: _stripe_env(patch, landing, None))


def test_mrr_is_price_times_quantity_per_month_in_major_units(mapped: Path) -> None:
    mrr = twin_tools.rows_by_key(
        mapped, "select subscription_id, mrr, currency, plan_id from raw_billing.subscriptions"
    )
    assert mrr["S1"] == (Decimal("1000"), "SEK", "pro_yearly")  # 12,000 SEK a year / 12
    assert mrr["S4"] == (Decimal("15000"), "JPY", "price_seats_jpy")  # 5,000 JPY x 3, not / 100
    # 2 x 12 EUR a week x 52/12 + 1,000 KRW a day x 365/12 (zero-decimal) + 300 EUR / 3 months;
    # the plan is the item with the largest MRR (currencies of one subscription never mix in
    # Stripe: this one is for the arithmetic only).
    expected = Decimal(2 * 12 * 52) / 12 + Decimal(1000 * 365) / 12 + Decimal(100)
    assert mrr["sub_mix"][0] == expected.quantize(Decimal("0.0001"))
    assert mrr["sub_mix"][2] == "price_daily"


def test_mrr_is_less_forever_coupons(mapped: Path) -> None:
    mrr = twin_tools.rows_by_key(
        mapped, "select subscription_id, mrr from raw_billing.subscriptions"
    )
    assert mrr["S3"] == (Decimal("24.5"),)  # 49 EUR, 50 % off forever
    assert mrr["S2"] == (Decimal("989"),)  # 999 USD, 10 USD off every monthly invoice
    assert mrr["S1"] == (Decimal("1000"),)  # a coupon for the first invoice only: no change


def test_plans_are_named_by_lookup_key_else_price_id(mapped: Path) -> None:
    plans = twin_tools.rows_by_key(
        mapped,
        "select plan_id, product_line, billing_interval, list_price from raw_billing.plans",
    )
    assert plans["pro_yearly"] == ("analytics", "year", Decimal("12000"))  # lookup key
    assert plans["price_seats_jpy"] == ("platform", "month", Decimal("5000"))  # id
    assert plans["price_quarterly"] == ("platform", "month", Decimal("100"))  # per month
    assert "test_plan" not in plans  # test mode


def test_product_line_is_the_metadata_else_the_product_name(mapped: Path) -> None:
    # prod_analytics is named "Analytics suite" with metadata product_line=analytics;
    # prod_platform and prod_services have only their names.
    lines = twin_tools.rows_by_key(
        mapped, "select invoice_id, product_line from raw_billing.invoices"
    )
    assert lines["I1"] == ("analytics",)
    assert lines["I2"] == ("platform",)
    assert lines["I5"] == ("services",)  # no subscription: its line's one-off price


def test_subscriptions_are_current_live_and_end_when_canceled(mapped: Path) -> None:
    subscriptions = twin_tools.rows_by_key(
        mapped,
        "select subscription_id, customer_id, started_at, ended_at from raw_billing.subscriptions",
    )
    assert set(subscriptions) == {"S1", "S2", "S3", "S4", "sub_mix"}  # no incomplete_expired
    assert subscriptions["S3"][2].isoformat(" ") == "2024-03-10 09:00:00"  # canceled_at
    assert subscriptions["S1"][2] is None
    assert subscriptions["S1"][0] == "cus_C1"  # current version; the Stripe id by default


def test_invoices_are_net_of_tax_with_negative_credit_notes(mapped: Path) -> None:
    invoices = twin_tools.rows_by_key(
        mapped, "select invoice_id, amount, status from raw_billing.invoices"
    )
    assert set(invoices) == {"I1", "I2", "I3", "I4", "I5", "I6", "CN1"}  # no draft, deleted, test
    assert invoices["I1"] == (Decimal("12000"), "paid")  # total 15,000 SEK - tax 3,000
    assert invoices["I6"] == (Decimal("15000"), "paid")  # JPY
    assert invoices["CN1"] == (Decimal("-20"), "paid")  # an issued credit note
    assert invoices["I4"] == (Decimal("49"), "void")
    assert invoices["I5"] == (Decimal("500"), "open")


def test_billing_customers_matching_no_crm_customer_are_reported(mapped: Path) -> None:
    report = mapped.with_name("validation.txt").read_text()
    assert "FAILED" in report
    assert "customer_id" in report and "cus_C1" in report


# --------------------------------------------------------------------------- errors


def test_a_missing_landed_table_is_a_one_line_error(tmp_path: Path, monkeypatch) -> None:
    landing = write_landing(
        twin_tools.company_files(tmp_path / "billing"), tmp_path / "landing.duckdb"
    )
    with duckdb.connect(str(landing)) as connection:
        connection.execute("drop table stripe.credit_note")
    _stripe_env(monkeypatch, landing, None)
    with pytest.raises(vendors.VendorSourceError) as raised:
        vendors.map_vendor_tables(RunContext.build(warehouse=tmp_path / "w.duckdb"))
    message = str(raised.value)
    assert "\n" not in message
    assert f"the landed table credit_note is missing from the schema stripe of {landing}" in message


@pytest.mark.parametrize("value", ["stripe:stitch", "chargebee"])
def test_an_unsupported_billing_source_lists_the_supported_ones(value: str, monkeypatch) -> None:
    monkeypatch.setenv("NYCKELTAL_BILLING_SOURCE", value)
    with pytest.raises(SettingsError) as raised:
        settings.current()
    assert "NYCKELTAL_BILLING_SOURCE" in str(raised.value)
    assert "files, stripe:fivetran" in str(raised.value)


def test_landed_tables_in_the_warehouse_are_looked_up_in_its_schema(
    tmp_path: Path, monkeypatch
) -> None:
    warehouse = write_landing(
        twin_tools.company_files(tmp_path / "billing"), tmp_path / "w.duckdb", "landed"
    )
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("drop table landed.invoice")
    monkeypatch.setenv("NYCKELTAL_BILLING_SOURCE", "stripe:fivetran")
    monkeypatch.setenv("NYCKELTAL_STRIPE_SCHEMA", "landed")
    context = RunContext.build(warehouse=warehouse)
    layout = vendors.BILLING.layout("stripe:fivetran")
    expected = f"the landed table invoice is missing from the schema landed of {warehouse}$"
    with pytest.raises(vendors.VendorSourceError, match=expected):
        vendors.check_landed(context, vendors.BILLING, layout)
    with pytest.raises(vendors.VendorSourceError, match=expected):
        vendors.map_vendor_tables(context)
