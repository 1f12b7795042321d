"""`nyckeltal ingest stripe`: Stripe's public API into the landing schema, with dlt's
`rest_api` source (docs/sources.md "Stripe with dlt").

- Tables, as dlt writes them (schema `IngestConfig.dataset`): customers, products, prices,
  subscriptions (+ subscriptions__items__data, subscriptions__discounts), invoices
  (+ invoices__lines__data), credit_notes. Every table is merged on Stripe's `id`.
- Incremental: each list endpoint is read with `created[gte]` from the cursor dlt keeps (the
  newest `created` seen), paginated by `starting_after` while `has_more`. Objects that change
  after they are created (a subscription canceled, an invoice paid or voided) are found in
  /v1/events (`customer.subscription.*`, `invoice.*`, `credit_note.*`) since the events'
  own cursor and fetched again by id, so that their current state is merged. Events are kept
  30 days by Stripe: an ingest at least every 30 days misses no change.
- Retries: 429 (honouring Retry-After) and 5xx, with exponential backoff (dlt's requests
  client); a 401 is one line naming NYCKELTAL_STRIPE_API_KEY.
- Atomic: nothing is loaded unless every endpoint was read; a failed ingest drops its
  half-extracted package, so the data landed before stays as it was.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

from nyckeltal.context import RunContext
from nyckeltal.ingest import (
    IngestError,
    IngestResult,
    Landing,
    from_settings,
    rest,
)

DEFAULT_API_BASE = "https://api.stripe.com/v1"
KEY_SETTING = "NYCKELTAL_STRIPE_API_KEY"
KEY_FIELD = "stripe_api_key"  # the Settings field of KEY_SETTING
VENDOR = rest.Vendor("Stripe", "API key", KEY_SETTING, "stripe")
# The API version asked for (the shapes read: invoice.tax, discount.coupon, line.price).
STRIPE_API_VERSION = "2024-06-20"
# Objects that change after creation, and the events that say so (Stripe's event types).
CHANGED_BY_EVENTS = {
    "subscriptions": "customer.subscription.*",
    "invoices": "invoice.*",
    "credit_notes": "credit_note.*",
}
LISTS = ("customers", "products", "prices", "subscriptions", "invoices", "credit_notes")
# Columns kept as JSON (not flattened into metadata__<key> columns), and a type for every
# column the mapping reads, so that a column only ever null (dlt leaves those out) exists.
JSON_COLUMNS = {"metadata": {"data_type": "json"}}
COLUMN_TYPES: dict[str, dict[str, str]] = {
    "prices": {"lookup_key": "text", "nickname": "text", "unit_amount": "bigint"},
    "subscriptions": {"ended_at": "bigint", "canceled_at": "bigint", "start_date": "bigint"},
    "invoices": {"subscription": "text", "tax": "bigint", "total": "bigint"},
}


@dataclasses.dataclass(frozen=True)
class IngestConfig(Landing):
    """Where and how to ingest (read from the settings at the edge)."""

    api_key: str = dataclasses.field(repr=False)  # the credential, never in a repr
    dataset: str = "stripe"  # the landing schema
    api_base: str = DEFAULT_API_BASE
    page_size: int = 100  # Stripe's `limit` (1 to 100)
    now: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        if not self.api_key:
            raise IngestError(f"no Stripe API key: set {KEY_SETTING}")


def _paginator() -> Any:
    from dlt.sources.helpers.rest_client.paginators import BasePaginator

    class StripePaginator(BasePaginator):
        """Stripe's list pagination: `starting_after` = the last object's id, while has_more."""

        def __init__(self) -> None:
            super().__init__()
            self._last_id: str | None = None

        def update_state(self, response: Any, data: list[Any] | None = None) -> None:
            body = response.json()
            items = body.get("data") or []
            self._has_next_page = bool(body.get("has_more")) and bool(items)
            self._last_id = items[-1]["id"] if items else None

        def update_request(self, request: Any) -> None:
            request.params = {**(request.params or {}), "starting_after": self._last_id}

    return StripePaginator()


def _columns(table: str) -> dict[str, Any]:
    types = COLUMN_TYPES.get(table, {})
    return {**JSON_COLUMNS, **{column: {"data_type": kind} for column, kind in types.items()}}


def _list(
    name: str, path: str, params: dict[str, Any], since: int, page_size: int
) -> dict[str, Any]:
    return {
        "name": name,
        "primary_key": "id",
        "write_disposition": "merge",
        "columns": _columns(name),
        "endpoint": {
            "path": path,
            "data_selector": "data",
            "paginator": _paginator(),
            "params": {
                "limit": page_size,
                **params,
                "created[gte]": {
                    "type": "incremental",
                    "cursor_path": "created",
                    "initial_value": since,
                },
            },
        },
    }


def source_config(config: IngestConfig) -> dict[str, Any]:
    """The rest_api source's configuration: the lists, then the events and re-fetches."""
    started, size = int(config.now()), config.page_size
    # Every list from the beginning (created >= 0) on the first ingest; the events from its
    # start (what changed before is in the lists already).
    extra = {"subscriptions": {"status": "all", "expand[]": "data.discounts"}}
    resources = [_list(name, name, extra.get(name, {}), 0, size) for name in LISTS]
    for table, event_type in CHANGED_BY_EVENTS.items():
        events = _list(f"{table}_events", "events", {"type": event_type}, started, size)
        events.update({"selected": False, "write_disposition": "append"})
        resources.append(events)
        resources.append(
            {
                "name": f"{table}_changed",
                "table_name": table,
                "primary_key": "id",
                "write_disposition": "merge",
                "columns": _columns(table),
                "endpoint": {
                    "path": f"{table}/{{resources.{table}_events.data.object.id}}",
                    "data_selector": "$",
                    "paginator": "single_page",
                    "params": {"expand[]": "discounts"} if table == "subscriptions" else {},
                },
            }
        )
    return {
        "client": {
            "base_url": config.api_base.rstrip("/") + "/",
            "auth": {"type": "bearer", "token": config.api_key},
            "headers": {"Stripe-Version": STRIPE_API_VERSION},
            "session": config.session(),
        },
        "resources": resources,
    }


def ingest(config: IngestConfig) -> IngestResult:
    """Pull what changed since the last ingest into `config.dataset` of `config.destination`."""
    return rest.run(config, source_config(config), VENDOR)


def config(context: RunContext) -> IngestConfig:
    """The ingest's configuration from the run context's settings (NYCKELTAL_STRIPE_API_KEY,
    NYCKELTAL_STRIPE_API_BASE, NYCKELTAL_STRIPE_SCHEMA, NYCKELTAL_LANDING_DATABASE): the
    landing file when set, else the embedded warehouse."""
    fields = {"api_key": KEY_FIELD, "dataset": "stripe_schema", "api_base": "stripe_api_base"}
    return from_settings(IngestConfig, context, "Stripe", fields)
