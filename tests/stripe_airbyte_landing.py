"""The billing of a company given as contract files, written as Stripe landed by Airbyte.

`write_landing(company, landing)` writes the company of tests/stripe_fivetran_landing.py
(the same customers, prices, subscriptions, invoices and credit notes, with the draft,
deleted and test-mode invoices and the incomplete_expired subscription the mapping must
leave out) into the schema `stripe` of the DuckDB file `landing` in the shape of Airbyte's
Stripe source (airbytehq/airbyte docs/integrations/sources/stripe.md and the connector's
stream schemas): its stream names (`customers`, `subscription_items`, ...), Stripe's field
names (`customer`, `product`, `invoice`), nested objects as JSON (`metadata`, `recurring`,
`price`, `discount`), times in Unix seconds, `unit_amount` a number and a credit note's
`discount_amount` a string (as the stream schemas type them), `is_deleted` where a `.deleted`
event set it (a deleted invoice; a canceled subscription, which Stripe reports as
customer.subscription.deleted) and Airbyte's meta columns. Each subscription also has an
older version, extracted before (an append sync mode keeps both): the mapping reads the
latest. S1 also keeps an item it had before a change (Airbyte lands a subscription's items
at each change, stamped with its `updated` as subscription_updated, and removes none): left
out. With `discounts`, S3 has a forever 50 % coupon and S2 a `once` coupon.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import stripe_fivetran_landing as fivetran
from vendor_twins import write_tables

SCHEMA = "stripe"
METADATA_KEY = fivetran.METADATA_KEY
META = (
    "_airbyte_raw_id varchar, _airbyte_extracted_at timestamp with time zone, "
    "_airbyte_meta json, _airbyte_generation_id bigint"
)
EXTRACTED = dt.datetime(2025, 1, 2, tzinfo=dt.UTC)  # the latest sync
EARLIER = dt.datetime(2024, 12, 1, tzinfo=dt.UTC)  # a sync before it
COUPONS = {
    "S3": {"id": "half", "object": "coupon", "duration": "forever", "percent_off": 50.0},
    "S2": {"id": "welcome", "object": "coupon", "duration": "once", "percent_off": 90.0},
}

TABLES = {
    "customers": "id varchar, object varchar, created bigint, updated bigint, metadata json, "
    "livemode boolean, is_deleted boolean",
    "products": "id varchar, object varchar, name varchar, active boolean, metadata json, "
    "livemode boolean, updated bigint, is_deleted boolean",
    "prices": "id varchar, object varchar, lookup_key varchar, nickname varchar, "
    "product varchar, currency varchar, unit_amount double, recurring json, type varchar, "
    "active boolean, livemode boolean, updated bigint, is_deleted boolean",
    "subscriptions": "id varchar, object varchar, customer varchar, status varchar, "
    "start_date bigint, created bigint, ended_at double, canceled_at double, discount json, "
    "items json, livemode boolean, updated bigint, is_deleted boolean",
    "subscription_items": "id varchar, object varchar, subscription varchar, price json, "
    "quantity bigint, created bigint, subscription_updated bigint",
    "invoices": "id varchar, object varchar, customer varchar, subscription varchar, "
    "created bigint, currency varchar, status varchar, subtotal bigint, tax bigint, "
    "total bigint, lines json, livemode boolean, updated bigint, is_deleted boolean",
    "invoice_line_items": "id varchar, object varchar, invoice_id varchar, price json, "
    "plan json, amount bigint, currency varchar, invoice_updated bigint",
    "credit_notes": "id varchar, object varchar, invoice varchar, created bigint, "
    "currency varchar, subtotal bigint, discount_amount varchar, total bigint, "
    "status varchar, livemode boolean, updated bigint",
}


def seconds(stamp: str | None) -> int | None:
    """A contract time (UTC, `YYYY-MM-DD HH:MM:SS`) in Unix seconds, as Stripe gives it."""
    if stamp is None:
        return None
    return int(dt.datetime.fromisoformat(stamp).replace(tzinfo=dt.UTC).timestamp())


def _meta(extracted: dt.datetime = EXTRACTED) -> tuple:
    return (str(uuid.uuid4()), extracted, json.dumps({"changes": []}), 1)


def _json(value: object) -> str | None:
    return None if value is None else json.dumps(value)


def _subscriptions(rows: dict, discounts: bool) -> dict:
    history, items, updated = [], [], {}
    for sub, customer, status, start, _, canceled, livemode, active, _ in rows[
        "subscription_history"
    ]:
        if not active:  # the superseded version: an older sync's row of the same id
            version = (sub, "subscription", customer, status, seconds(start), seconds(start))
            history.append((*version, None, None, None, None, livemode, 1, False, *_meta(EARLIER)))
            continue
        coupon = COUPONS.get(sub) if discounts else None
        discount = {"id": f"di_{sub}", "coupon": coupon, "subscription": sub} if coupon else None
        ended = seconds(canceled)  # Stripe sets both when a subscription is canceled now
        updated[sub] = ended or seconds(start)
        history.append(
            (
                sub,
                "subscription",
                customer,
                status,
                seconds(start),
                seconds(start),
                ended,
                ended,
                _json(discount),
                None,
                livemode,
                updated[sub],
                status == "canceled",  # customer.subscription.deleted: Airbyte's is_deleted
                *_meta(),
            )
        )
    for item, sub, price, quantity in rows["subscription_item"]:
        price_object = {"id": price, "object": "price"}
        items.append((item, "subscription_item", sub, _json(price_object), quantity))
        items[-1] += (seconds("2024-01-01 00:00:00"), updated.get(sub))
    # An item S1 had before a change (landed then, never removed): left out.
    old_price = _json({"id": "price_enterprise_monthly", "object": "price"})
    items.append(("si_S1_old", "subscription_item", "S1", old_price, 7, None, updated["S1"] - 1))
    return {
        "subscriptions": history,
        "subscription_items": [(*item, *_meta()) for item in items],
    }


def _price(
    pid, lookup_key, nickname, product, currency, amount, interval, count, livemode, active
) -> tuple:
    recurring = {"interval": interval, "interval_count": count} if interval else None
    kind = "recurring" if interval else "one_time"
    return (pid, "price", lookup_key, nickname, product, currency, float(amount)) + (
        _json(recurring),
        kind,
        active,
        livemode,
        None,
        False,
        *_meta(),
    )


def _invoice(
    iid, customer, sub, created, currency, status, subtotal, tax, total, deleted, livemode
) -> tuple:
    # Airbyte sets is_deleted only on an invoice.deleted event (null otherwise).
    return (iid, "invoice", customer, sub, seconds(created), currency, status) + (
        subtotal,
        tax,
        total,
        None,
        livemode,
        seconds(created),
        deleted or None,
        *_meta(),
    )


def landed_rows(company: Path, discounts: bool = False) -> dict[str, list[tuple]]:
    """The rows of each Airbyte table (TABLES' columns) for the contract files in `company`."""
    rows = fivetran.landed_rows(company)
    return {
        "customers": [
            (cid, "customer", None, None, metadata, livemode, deleted, *_meta())
            for cid, metadata, livemode, deleted in rows["customer"]
        ],
        "products": [
            (pid, "product", name, True, metadata, livemode, None, False, *_meta())
            for pid, name, metadata, livemode in rows["product"]
        ],
        "prices": [_price(*row) for row in rows["price"]],
        **_subscriptions(rows, discounts),
        "invoices": [_invoice(*row) for row in rows["invoice"]],
        "invoice_line_items": [
            (
                lid,
                "line_item",
                invoice,
                _json({"id": price, "object": "price"}),
                None,
                amount,
                currency,
                None,
                *_meta(),
            )
            for lid, invoice, price, _, amount, currency in rows["invoice_line_item"]
        ],
        "credit_notes": [
            (note, "credit_note", invoice, seconds(created), currency, subtotal, str(discount))
            + (total, status, livemode, seconds(created), *_meta())
            for note, invoice, created, currency, subtotal, discount, total, status, livemode in (
                rows["credit_note"]
            )
        ],
    }


def write_landing(
    company: Path, landing: Path, schema: str = SCHEMA, discounts: bool = False
) -> Path:
    """Write the billing of the contract files in `company` as Airbyte's Stripe tables in the
    schema `schema` of the DuckDB file `landing`; return `landing`."""
    columns = {table: f"{definition}, {META}" for table, definition in TABLES.items()}
    return write_tables(landing, schema, columns, landed_rows(company, discounts))
