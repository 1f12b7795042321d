"""A local stand-in for HubSpot's CRM API v3 (https://developers.hubspot.com/docs/api/crm),
on 127.0.0.1 (tests/api_replay.py's `serving`).

`HubSpotApi(objects)` (tests/hubspot_api_objects.py) answers
- `POST /crm/v3/objects/<objects>/search`: the live objects whose filter property is GTE the
  filter's value (Unix milliseconds), sorted by it ascending, `limit` a page, `after` the
  offset given as `paging.next.after` while more remain (a 400 past `search_cap` results);
  only the asked `properties`;
- `GET /crm/v3/objects/<objects>?archived=true`: the archived objects, paged the same way;
- `GET /crm/v3/objects/deals/<id>?properties=...&associations=companies`: one live deal
  with its companies under `associations` (404 otherwise);
- `GET /crm/v3/pipelines/deals`, `GET /crm/v3/properties/<objects>` (every property any of
  the objects has, plus HubSpot's standard ones the ingest reads).
A request without `Authorization: Bearer <ACCESS_TOKEN>` gets HubSpot's 401 of an expired
token. `fail(path, 429, ...)` queues answers for the next requests of a path (a 429 carries
`Retry-After: 1`). Every request is recorded in `requests` (method, path, query, body).
"""

from __future__ import annotations

from typing import Any

from api_replay import serving
from hubspot_api_objects import milliseconds

__all__ = ["ACCESS_TOKEN", "HubSpotApi", "serving"]

ACCESS_TOKEN = "pat-eu1-nyckeltal"
STANDARD = {
    "companies": ("name", "country", "numberofemployees", "hs_analytics_source"),
    "contacts": ("associatedcompanyid", "hs_analytics_source", "lastmodifieddate"),
    "deals": ("dealstage", "pipeline", "closedate"),
}
DEFAULT_PROPERTIES = ("createdate", "hs_object_id", "hs_lastmodifieddate")


def _error(status: int, category: str, message: str) -> tuple[int, dict, dict]:
    headers = {"Retry-After": "1"} if status == 429 else {}
    return status, headers, {"status": "error", "message": message, "category": category}


class HubSpotApi:
    def __init__(self, objects: dict[str, list[dict[str, Any]]], search_cap: int = 10_000) -> None:
        self.objects = objects  # companies, contacts, deals, pipelines
        self.search_cap = search_cap  # the most results a search pages through
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        self.failures: dict[str, list[int]] = {}
        self.base_url = ""  # set by api_replay.serving
        self.base_path = ""

    def fail(self, path: str, *statuses: int) -> None:
        self.failures.setdefault(path, []).extend(statuses)

    def answer(
        self, method: str, path: str, query: dict[str, str], body: Any, auth: str
    ) -> tuple[int, dict, Any]:
        self.requests.append((method, path, query, body))
        if auth != f"Bearer {ACCESS_TOKEN}":
            return _error(401, "EXPIRED_AUTHENTICATION", "The OAuth token used expired.")
        queued = self.failures.get(path)
        if queued:
            return _error(queued.pop(0), "RATE_LIMITS", "planted failure")
        parts = path.strip("/").split("/")  # crm, v3, objects|pipelines|properties, ...
        if parts[2] == "pipelines":
            return 200, {}, {"results": self.objects.get("pipelines", [])}
        if parts[2] == "properties":
            return 200, {}, {"results": [{"name": name} for name in self._names(parts[3])]}
        kind = parts[3]
        if method == "POST":
            if int(body.get("after") or 0) + int(body["limit"]) > self.search_cap:
                return _error(400, "VALIDATION_ERROR", "paging past the search's cap")
            return 200, {}, self._search(kind, body)
        if len(parts) == 5:
            return self._one(kind, parts[4], query)
        archived = [o for o in self.objects.get(kind, []) if o["archived"]]
        wanted = query.get("properties", ",".join(DEFAULT_PROPERTIES)).split(",")
        return 200, {}, self._page(archived, wanted, query.get("after"), query.get("limit"))

    def _names(self, kind: str) -> list[str]:
        found = {name for o in self.objects.get(kind, []) for name in o["properties"]}
        return sorted(found | set(STANDARD.get(kind, ())))

    def _search(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        [group] = body["filterGroups"]
        [condition] = group["filters"]
        assert condition["operator"] == "GTE" and body["sorts"][0]["direction"] == "ASCENDING"
        name, since = condition["propertyName"], int(condition["value"])
        rows = [
            o
            for o in self.objects.get(kind, [])
            if not o["archived"] and milliseconds(o["properties"][name]) >= since
        ]
        rows.sort(key=lambda o: (milliseconds(o["properties"][name]), o["id"]))
        return self._page(rows, body["properties"], body.get("after"), body.get("limit"))

    def _one(self, kind: str, object_id: str, query: dict[str, str]) -> tuple[int, dict, Any]:
        found = [o for o in self.objects.get(kind, []) if o["id"] == object_id]
        if not found or found[0]["archived"]:
            return _error(404, "OBJECT_NOT_FOUND", f"no {kind} {object_id}")
        wanted = query.get("properties", ",".join(DEFAULT_PROPERTIES)).split(",")
        answer = _shown(found[0], wanted)
        if query.get("associations") == "companies" and "associations" in found[0]:
            answer["associations"] = found[0]["associations"]
        return 200, {}, answer

    @staticmethod
    def _page(rows: list[dict], wanted: list[str], after: Any, limit: Any) -> dict[str, Any]:
        start, size = int(after or 0), int(limit or 10)
        page = {"total": len(rows), "results": [_shown(o, wanted) for o in rows[start:][:size]]}
        if start + size < len(rows):
            page["paging"] = {"next": {"after": str(start + size), "link": "?after="}}
        return page


def _shown(found: dict[str, Any], wanted: list[str]) -> dict[str, Any]:
    """The object with only the properties asked for (and the defaults), as HubSpot answers:
    an asked property the object has no value of is null."""
    names = {*wanted, "hs_object_id", "createdate"}
    properties = {name: found["properties"].get(name) for name in sorted(names)}
    keys = ("id", "createdAt", "updatedAt", "archived")
    return {**{key: found[key] for key in keys}, "properties": properties}
