"""Vendor source `stripe:airbyte` (docs/sources.md "Stripe with Airbyte").

The billing of the planted company (tests/vendor_twins.py) written as Airbyte's Stripe
source lands it (tests/stripe_airbyte_landing.py: its stream names, nested objects as JSON,
Unix seconds, an older version of every subscription, a canceled subscription marked
is_deleted, a deleted, a draft and a test-mode invoice, an incomplete_expired subscription,
a forever and a once coupon) is mapped, without a refresh, and the raw billing relations are
compared with the company's contract files row for row. The scorecard through Airbyte (with
HubSpot too) is compared with the files twin in tests/test_source_hubspot_airbyte.py.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import vendor_twins as twin_tools
from stripe_airbyte_landing import METADATA_KEY, write_landing

from nyckeltal import settings


def stripe_env(patch: pytest.MonkeyPatch, landing: Path) -> None:
    """NYCKELTAL_BILLING_SOURCE=stripe:airbyte from `landing`, with the CRM ids in metadata."""
    patch.setenv("NYCKELTAL_BILLING_SOURCE", "stripe:airbyte")
    patch.setenv("NYCKELTAL_LANDING_DATABASE", str(landing))
    patch.setenv("NYCKELTAL_STRIPE_CUSTOMER_ID_METADATA_KEY", METADATA_KEY)


@pytest.fixture(scope="module")
def mapped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The company's billing mapped from Airbyte's tables (no refresh): the warehouse."""
    folder = tmp_path_factory.mktemp("stripe_airbyte_rules")
    company = twin_tools.company_files(folder / "billing")
    landing = write_landing(company, folder / "landing.duckdb", discounts=True)
    return twin_tools.map_and_validate(folder, lambda patch: stripe_env(patch, landing))


def _contract_rows(name: str, key: str) -> dict[str, dict[str, str]]:
    path = twin_tools.FIXTURES / "stripe_company" / f"{name}.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        return {row[key]: row for row in csv.DictReader(handle)}


def _as_contract(value: object) -> object:
    """A mapped value as the contract file writes it, to compare."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(" ")
    if isinstance(value, Decimal):
        return value.normalize()
    return value


def _compare(warehouse: Path, table: str, key: str, columns: tuple[str, ...]) -> dict:
    """{key: (mapped, contract)} of the rows of raw_billing.`table` and of its file whose
    `columns` differ; both sides must have the same keys."""
    mapped = twin_tools.rows_by_key(
        warehouse, f"select {key}, {', '.join(columns)} from raw_billing.{table}"
    )
    files = _contract_rows(f"billing__{table}", key)
    assert set(mapped) == set(files), table
    differences = {}
    for name, row in files.items():
        expected = tuple(
            Decimal(row[c]).normalize() if c in ("mrr", "amount", "list_price") else row[c]
            for c in columns
        )
        got = tuple(_as_contract(value) for value in mapped[name])
        if got != expected:
            differences[name] = (got, expected)
    return differences


def test_plans_equal_the_contract_files(mapped: Path) -> None:
    columns = ("plan_name", "product_line", "billing_interval", "list_price", "currency")
    assert _compare(mapped, "plans", "plan_id", columns) == {}


def test_subscriptions_equal_the_contract_files_less_forever_coupons(mapped: Path) -> None:
    columns = ("customer_id", "plan_id", "started_at", "ended_at", "mrr", "currency")
    differences = _compare(mapped, "subscriptions", "subscription_id", columns)
    # S3 has a forever 50 % coupon (49 EUR -> 24.5); S2's `once` coupon is not subtracted.
    # S3 is canceled (Airbyte's is_deleted): kept, ending at its ended_at.
    assert set(differences) == {"S3"}
    got, expected = differences["S3"]
    assert got[:4] == expected[:4] and got[4:] == (Decimal("24.5"), "EUR")


def test_invoices_equal_the_contract_files(mapped: Path) -> None:
    # Not the draft, the deleted (is_deleted) or the test-mode invoice; net of tax; the
    # credit note negative; JPY zero-decimal.
    columns = (
        "customer_id",
        "subscription_id",
        "product_line",
        "issued_at",
        "amount",
        "currency",
        "status",
    )
    assert _compare(mapped, "invoices", "invoice_id", columns) == {}


def test_the_mapped_tables_are_validated(mapped: Path) -> None:
    assert "FAILED" not in mapped.with_name("validation.txt").read_text()


def test_a_missing_landed_column_is_a_one_line_error(tmp_path: Path, monkeypatch) -> None:
    landing = write_landing(
        twin_tools.company_files(tmp_path / "billing"), tmp_path / "landing.duckdb"
    )
    with duckdb.connect(str(landing)) as connection:
        connection.execute("alter table stripe.invoice_line_items drop column invoice_id")
    stripe_env(monkeypatch, landing)
    assert twin_tools.mapping_error(tmp_path / "w.duckdb") == (
        "NYCKELTAL_BILLING_SOURCE=stripe:airbyte: the column invoice_id is missing from the "
        f"landed table invoice_line_items in the schema stripe of {landing}"
    )


def test_stripe_airbyte_is_a_billing_source(monkeypatch) -> None:
    monkeypatch.setenv("NYCKELTAL_BILLING_SOURCE", "Stripe:Airbyte")
    assert settings.current().billing_source == "stripe:airbyte"
