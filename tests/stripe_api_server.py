"""A local stand-in for Stripe's API (https://docs.stripe.com/api), on 127.0.0.1.

`StripeApi(objects)` serves (with tests/api_replay.py's `serving`) the list endpoints
(`GET /v1/<objects>`: a list object with `object: "list"`, `data`, `has_more`, `url`, newest
first, `limit`, `starting_after`, `created[gte]`, `status`, events' `type` with a trailing
`*`), one object by id (`GET /v1/<objects>/<id>`) and `/v1/events`. Requests need
`Authorization: Bearer <key>` (else a 401 shaped like Stripe's error). `fail(path, 429, ...)`
queues answers for the next requests of a path: a 429 carries `Retry-After: 1`. Every
request is recorded in `requests` (path, query).
"""

from __future__ import annotations

from typing import Any

from api_replay import serving

__all__ = ["API_KEY", "StripeApi", "serving"]

API_KEY = "sk_test_nyckeltal"


class StripeApi:
    def __init__(self, objects: dict[str, list[dict[str, Any]]]) -> None:
        self.objects = objects  # "customers" -> [object, ...]; "events" too
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.failures: dict[str, list[int]] = {}
        self.base_url = ""  # set by api_replay.serving
        self.base_path = "/v1"

    def fail(self, path: str, *statuses: int) -> None:
        self.failures.setdefault(path, []).extend(statuses)

    def answer(
        self, method: str, path: str, query: dict[str, str], body: Any, auth: str
    ) -> tuple[int, dict, dict]:
        self.requests.append((path, query))
        if auth != f"Bearer {API_KEY}":
            return 401, {}, _error("invalid_request_error", "Invalid API Key provided: sk_***")
        queued = self.failures.get(path)
        if queued:
            status = queued.pop(0)
            headers = {"Retry-After": "1"} if status == 429 else {}
            return status, headers, _error("api_error", f"planted {status}")
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
