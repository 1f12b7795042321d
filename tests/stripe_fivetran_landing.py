"""The billing of a company given as contract files, written as Stripe landed by Fivetran.

`write_landing(company, landing)` reads billing__plans, billing__subscriptions and
billing__invoices of the folder `company` and writes the same company into the schema
`stripe` of the DuckDB file `landing`, in Fivetran's table and column names
(fivetran/dbt_stripe's models/staging/src_stripe.yml), the way Stripe keeps it: amounts in
the currency's minor unit (JPY is zero-decimal), a subscription's MRR as a price x quantity,
invoices with tax on top, credit notes against an invoice, a current and a superseded
version of each subscription, customers named cus_<CRM id> with the CRM id in the metadata
key `crm_account_id`. It adds what the contract files cannot hold and the mapping must leave
out: a draft invoice, a deleted invoice, an incomplete_expired subscription and test-mode
objects.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from vendor_twins import write_tables

SCHEMA = "stripe"
TAX_RATE = Decimal("0.25")
ZERO_DECIMAL = {"JPY", "KRW"}
METADATA_KEY = "crm_account_id"
# Products: `analytics` carries its product line in the metadata under another name;
# `platform` and `services` only in their name (the mapping's fallback).
PRODUCT_NAMES = {"analytics": "Analytics suite"}

TABLES = {
    "customer": "id varchar, metadata varchar, livemode boolean, is_deleted boolean",
    "product": "id varchar, name varchar, metadata varchar, livemode boolean",
    "price": "id varchar, lookup_key varchar, nickname varchar, product_id varchar, "
    "currency varchar, unit_amount bigint, recurring_interval varchar, "
    "recurring_interval_count integer, livemode boolean, active boolean",
    "subscription_history": "id varchar, customer_id varchar, status varchar, "
    "start_date timestamp, ended_at timestamp, canceled_at timestamp, livemode boolean, "
    "_fivetran_active boolean, _fivetran_start timestamp",
    "subscription_item": "id varchar, subscription_id varchar, plan_id varchar, quantity bigint",
    "invoice": "id varchar, customer_id varchar, subscription_id varchar, created timestamp, "
    "currency varchar, status varchar, subtotal bigint, tax bigint, total bigint, "
    "is_deleted boolean, livemode boolean",
    "invoice_line_item": "id varchar, invoice_id varchar, price_id varchar, plan_id varchar, "
    "amount bigint, currency varchar",
    "credit_note": "id varchar, invoice_id varchar, created timestamp, currency varchar, "
    "subtotal bigint, discount_amount bigint, total bigint, status varchar, livemode boolean",
}


def _read(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def minor(amount: Decimal | str, currency: str) -> int:
    """An amount in the currency's minor unit, as Stripe stores it."""
    factor = 1 if currency.upper() in ZERO_DECIMAL else 100
    return int(Decimal(amount) * factor)


def price_id(plan_id: str) -> str:
    """Plans named price_... are prices without a lookup key (the mapping uses the id)."""
    return plan_id if plan_id.startswith("price_") else f"price_{plan_id}"


def _products_and_prices(plans: list[dict[str, str]], invoices: list[dict[str, str]]) -> dict:
    lines = sorted({plan["product_line"] for plan in plans} | {i["product_line"] for i in invoices})
    products = [
        (
            f"prod_{line}",
            PRODUCT_NAMES.get(line, line),
            json.dumps({"product_line": line}) if line in PRODUCT_NAMES else "{}",
            True,
        )
        for line in lines
    ]
    prices = [
        (
            price_id(plan["plan_id"]),
            None if plan["plan_id"].startswith("price_") else plan["plan_id"],
            plan["plan_name"],
            f"prod_{plan['product_line']}",
            plan["currency"].lower(),
            minor(plan["list_price"], plan["currency"]),
            plan["billing_interval"],
            1,
            True,
            True,
        )
        for plan in plans
    ]
    # One-off prices for invoices without a subscription, and a test-mode price.
    prices += [
        (f"price_oneoff_{line}", None, None, f"prod_{line}", "eur", 0, None, None, True, True)
        for line in lines
    ]
    prices.append(
        ("price_test", "test_plan", "Test", "prod_x", "eur", 100, "month", 1, False, True)
    )
    return {"product": products, "price": prices}


def _subscriptions(subscriptions: list[dict[str, str]], plans: list[dict[str, str]]) -> dict:
    monthly = {
        plan["plan_id"]: Decimal(plan["list_price"])
        / (12 if plan["billing_interval"] == "year" else 1)
        for plan in plans
    }
    history, items = [], []
    for row in subscriptions:
        ended = row["ended_at"] or None
        # Canceled: Fivetran's ended_at left empty, canceled_at set (the mapping's fallback).
        status = "canceled" if ended else "active"
        history.append(
            (
                row["subscription_id"],
                f"cus_{row['customer_id']}",
                status,
                row["started_at"],
                None,
                ended,
                True,
                True,
                row["started_at"],
            )
        )
        # A superseded version: trialing, under another customer (must be ignored).
        history.append(
            (
                row["subscription_id"],
                "cus_superseded",
                "trialing",
                row["started_at"],
                None,
                None,
                True,
                False,
                "2020-01-01 00:00:00",
            )
        )
        quantity = Decimal(row["mrr"]) / monthly[row["plan_id"]]
        assert quantity == int(quantity), row
        items.append(
            (
                f"si_{row['subscription_id']}",
                row["subscription_id"],
                price_id(row["plan_id"]),
                int(quantity),
            )
        )
    history.append(
        (
            "sub_expired",
            "cus_C1",
            "incomplete_expired",
            "2024-01-20 00:00:00",
            None,
            None,
            True,
            True,
            "2024-01-20 00:00:00",
        )
    )
    items.append(("si_expired", "sub_expired", price_id(subscriptions[0]["plan_id"]), 1))
    return {"subscription_history": history, "subscription_item": items}


def _invoices(invoices: list[dict[str, str]], subscriptions: list[dict[str, str]]) -> dict:
    plan_of = {row["subscription_id"]: row["plan_id"] for row in subscriptions}
    rows, lines, notes = [], [], []
    for row in invoices:
        amount, currency = Decimal(row["amount"]), row["currency"]
        subscription = row["subscription_id"] or None
        if amount < 0:  # a credit note against the subscription's first invoice
            credited = next(
                i["invoice_id"]
                for i in invoices
                if i["subscription_id"] == subscription and Decimal(i["amount"]) > 0
            )
            net = minor(-amount, currency)
            notes.append(
                (
                    row["invoice_id"],
                    credited,
                    row["issued_at"],
                    currency.lower(),
                    net,
                    0,
                    net + minor(-amount * TAX_RATE, currency),
                    "issued",
                    True,
                )
            )
            continue
        subtotal, tax = minor(amount, currency), minor(amount * TAX_RATE, currency)
        rows.append(
            (
                row["invoice_id"],
                f"cus_{row['customer_id']}",
                subscription,
                row["issued_at"],
                currency.lower(),
                row["status"],
                subtotal,
                tax,
                subtotal + tax,
                False,
                True,
            )
        )
        price = (
            price_id(plan_of[subscription])
            if subscription
            else (f"price_oneoff_{row['product_line']}")
        )
        lines.append(
            (f"il_{row['invoice_id']}", row["invoice_id"], price, None, subtotal, currency.lower())
        )
    last = max(dt.datetime.fromisoformat(row["issued_at"]) for row in invoices)
    later = str(last + dt.timedelta(days=30))
    rows += [  # a draft, a deleted and a test-mode invoice, all after the others: left out
        ("in_draft", "cus_C1", None, later, "eur", "draft", 5000, 0, 5000, False, True),
        ("in_deleted", "cus_C1", None, later, "eur", "open", 5000, 0, 5000, True, True),
        ("in_test", "cus_C1", None, later, "eur", "paid", 5000, 0, 5000, False, False),
    ]
    return {"invoice": rows, "invoice_line_item": lines, "credit_note": notes}


def landed_rows(company: Path) -> dict[str, list[tuple]]:
    """The rows of each Fivetran table (TABLES' columns) for the contract files in `company`."""
    plans = _read(company, "billing__plans")
    subscriptions = _read(company, "billing__subscriptions")
    invoices = _read(company, "billing__invoices")
    customers = {row["customer_id"] for row in _read(company, "crm__customers")}
    return {
        "customer": [
            (f"cus_{customer}", json.dumps({METADATA_KEY: customer}), True, False)
            for customer in sorted(customers)
        ],
        **_products_and_prices(plans, invoices),
        **_subscriptions(subscriptions, plans),
        **_invoices(invoices, subscriptions),
    }


def write_landing(company: Path, landing: Path, schema: str = SCHEMA) -> Path:
    """Write the billing of the contract files in `company` as Fivetran's Stripe tables in
    the schema `schema` of the DuckDB file `landing`; return `landing`."""
    return write_tables(landing, schema, TABLES, landed_rows(company))
