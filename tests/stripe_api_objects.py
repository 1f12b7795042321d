"""The planted company's billing as Stripe's API returns it (https://docs.stripe.com/api,
API version STRIPE_VERSION): the objects of tests/stripe_fivetran_landing.py's Fivetran
tables (the same company, with its draft and test-mode invoices and incomplete_expired
subscription), shaped as the list endpoints' `data` items: prices with `recurring`,
subscriptions with `items` (a list object of items holding their price) and expanded
`discounts`, invoices with `lines`. Deleted invoices are not listed by the API.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from stripe_fivetran_landing import TABLES, landed_rows

EPOCH = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)


def unix(value: str | None) -> int | None:
    if value is None:
        return None
    stamp = dt.datetime.fromisoformat(str(value))
    return int((stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)).timestamp())


def _records(rows: dict[str, list[tuple]], table: str) -> list[dict[str, Any]]:
    names = [column.split()[0] for column in TABLES[table].split(", ")]
    return [dict(zip(names, row, strict=True)) for row in rows[table]]


def _list(data: list[dict[str, Any]], url: str) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": False, "url": url}


def api_objects(company: Path) -> dict[str, list[dict[str, Any]]]:
    """The API's objects by list endpoint (customers, products, ...) for `company`."""
    rows = landed_rows(company)
    early = int(EPOCH.timestamp())
    prices = {
        price["id"]: {
            "id": price["id"],
            "object": "price",
            "created": early + 100 + number,
            "lookup_key": price["lookup_key"],
            "nickname": price["nickname"],
            "product": price["product_id"],
            "currency": price["currency"],
            "unit_amount": price["unit_amount"],
            "recurring": {
                "interval": price["recurring_interval"],
                "interval_count": price["recurring_interval_count"],
            }
            if price["recurring_interval"]
            else None,
            "livemode": price["livemode"],
            "active": True,
            "metadata": {},
        }
        for number, price in enumerate(_records(rows, "price"))
    }
    items: dict[str, list[dict[str, Any]]] = {}
    for item in _records(rows, "subscription_item"):
        items.setdefault(item["subscription_id"], []).append(
            {
                "id": item["id"],
                "object": "subscription_item",
                "price": prices[item["plan_id"]],
                "quantity": item["quantity"],
            }
        )
    lines: dict[str, list[dict[str, Any]]] = {}
    for line in _records(rows, "invoice_line_item"):
        lines.setdefault(line["invoice_id"], []).append(
            {
                "id": line["id"],
                "object": "line_item",
                "amount": line["amount"],
                "currency": line["currency"],
                "price": prices[line["price_id"]],
            }
        )
    return {
        "customers": [
            {
                "id": customer["id"],
                "object": "customer",
                "created": early + number,
                "metadata": json.loads(customer["metadata"]),
                "livemode": customer["livemode"],
            }
            for number, customer in enumerate(_records(rows, "customer"))
        ],
        "products": [
            {
                "id": product["id"],
                "object": "product",
                "created": early + 50 + number,
                "name": product["name"],
                "metadata": json.loads(product["metadata"]),
                "livemode": product["livemode"],
            }
            for number, product in enumerate(_records(rows, "product"))
        ],
        "prices": list(prices.values()),
        "subscriptions": [
            {
                "id": sub["id"],
                "object": "subscription",
                "created": unix(sub["start_date"]),
                "customer": sub["customer_id"],
                "status": sub["status"],
                "start_date": unix(sub["start_date"]),
                "ended_at": unix(sub["canceled_at"]),  # the API sets both when canceled
                "canceled_at": unix(sub["canceled_at"]),
                "livemode": sub["livemode"],
                "items": _list(items[sub["id"]], "/v1/subscription_items"),
                "discounts": [],
            }
            for sub in _records(rows, "subscription_history")
            if sub["_fivetran_active"]
        ],
        "invoices": [
            {
                "id": invoice["id"],
                "object": "invoice",
                "created": unix(invoice["created"]),
                "customer": invoice["customer_id"],
                "subscription": invoice["subscription_id"],
                "currency": invoice["currency"],
                "status": invoice["status"],
                "subtotal": invoice["subtotal"],
                "tax": invoice["tax"],
                "total": invoice["total"],
                "livemode": invoice["livemode"],
                "lines": _list(lines.get(invoice["id"], []), f"/v1/invoices/{invoice['id']}/lines"),
            }
            for invoice in _records(rows, "invoice")
            if not invoice["is_deleted"]
        ],
        "credit_notes": [
            {
                "id": note["id"],
                "object": "credit_note",
                "created": unix(note["created"]),
                "invoice": note["invoice_id"],
                "currency": note["currency"],
                "subtotal": note["subtotal"],
                "discount_amount": note["discount_amount"],
                "total": note["total"],
                "status": note["status"],
                "livemode": note["livemode"],
            }
            for note in _records(rows, "credit_note")
        ],
        "events": [],
    }


def event(number: int, event_type: str, created: int, obj: dict[str, Any]) -> dict[str, Any]:
    """An event of `event_type` about `obj` (its state then, as `data.object`)."""
    return {
        "id": f"evt_{number}",
        "object": "event",
        "type": event_type,
        "created": created,
        "data": {"object": json.loads(json.dumps(obj))},
    }
