"""A local stand-in for Stripe's API (https://docs.stripe.com/api), on 127.0.0.1.

`StripeApi(objects)` serves, from a thread with http.server, the list endpoints
(`GET /v1/<objects>`: a list object with `object: "list"`, `data`, `has_more`, `url`, newest
first, `limit`, `starting_after`, `created[gte]`, `status`, events' `type` with a trailing
`*`), one object by id (`GET /v1/<objects>/<id>`) and `/v1/events`. Requests need
`Authorization: Bearer <key>` (else a 401 shaped like Stripe's error). `fail(path, 429, ...)`
queues answers for the next requests of a path: a 429 carries `Retry-After: 1`. Every
request is recorded in `requests` (path, query).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from local_http import planted_failure, serving_http

API_KEY = "sk_test_nyckeltal"


class StripeApi:
    def __init__(self, objects: dict[str, list[dict[str, Any]]]) -> None:
        self.objects = objects  # "customers" -> [object, ...]; "events" too
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.failures: dict[str, list[int]] = {}
        self.base_url = ""

    def fail(self, path: str, *statuses: int) -> None:
        self.failures.setdefault(path, []).extend(statuses)

    def answer(self, path: str, query: dict[str, str], auth: str) -> tuple[int, dict, dict]:
        self.requests.append((path, query))
        if auth != f"Bearer {API_KEY}":
            return 401, {}, _error("invalid_request_error", "Invalid API Key provided: sk_***")
        planted = planted_failure(
            self.failures, path, lambda status: _error("api_error", f"planted {status}")
        )
        if planted:
            return planted
        parts = path.strip("/").split("/")  # v1, objects[, id]
        kind = parts[1]
        if len(parts) == 3:
            found = [o for o in self.objects.get(kind, []) if o["id"] == parts[2]]
            if not found:
                return 404, {}, _error("invalid_request_error", f"No such object: {parts[2]}")
            return 200, {}, found[0]
        return 200, {}, self._list(kind, path, query)

    def _list(self, kind: str, path: str, query: dict[str, str]) -> dict[str, Any]:
        rows = sorted(self.objects.get(kind, []), key=lambda o: (-o["created"], o["id"]))
        if "created[gte]" in query:
            rows = [o for o in rows if o["created"] >= int(query["created[gte]"])]
        status = query.get("status")
        if status and status != "all":
            rows = [o for o in rows if o.get("status") == status]
        elif kind == "subscriptions" and status != "all":
            rows = [o for o in rows if o.get("status") != "canceled"]
        event_type = query.get("type")
        if event_type:
            prefix = event_type.rstrip("*")
            rows = [o for o in rows if o["type"].startswith(prefix)]
        if "starting_after" in query:
            ids = [o["id"] for o in rows]
            rows = rows[ids.index(query["starting_after"]) + 1 :]
        limit = int(query.get("limit", 10))
        return {"object": "list", "data": rows[:limit], "has_more": len(rows) > limit, "url": path}


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message}}


@contextmanager
def serving(api: StripeApi) -> Iterator[StripeApi]:
    """Serve `api` on 127.0.0.1 (a free port) while in the block; `api.base_url` is set."""

    def answer(method: str, path: str, query: dict, auth: str, body: bytes) -> tuple:
        return api.answer(path, {key: values[-1] for key, values in query.items()}, auth)

    with serving_http(answer) as root:
        api.base_url = f"{root}/v1"
        yield api
