"""A local stand-in for BambooHR's public API v1, on 127.0.0.1.

`BambooHrApi(employees)` serves, from a thread with http.server (tests/local_http.py), the
root `/api/gateway.php/<DOMAIN>/v1` of a company's API, HTTP Basic auth with the API key as
the user name (any password; another key: a 401): `POST /reports/custom?format=JSON` (JSON
`{"title", "fields": [...]}`: `{"title", "fields": [{"id", "type", "name"}], "employees":
[{"id", field: value, ...}]}`, every employee, the fields asked for as a projection),
`GET /employees/changed?since=<ISO 8601>` (`{"latest", "employees": {"<id>": {"id",
"action": "Inserted|Updated|Deleted", "lastChanged"}}}`: those changed after `since`, deleted
ones included) and `GET /employees/<id>?fields=a,b` (`{"id", a: value, b: value}`; a deleted
employee: a 404). Values are BambooHR's texts (`0000-00-00`: no date). `fail(path, 429,
...)` queues answers for the next requests of a path (a 429 carries `Retry-After: 1`);
`delete(id)` deletes an employee. Every request is recorded in `requests` (method, path,
query with lists kept).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from local_http import planted_failure, serving_http

API_KEY = "bamboo-key-0123456789"
DOMAIN = "nyckeltal"
ROOT = f"/api/gateway.php/{DOMAIN}/v1"


class BambooHrApi:
    def __init__(self, employees: list[dict[str, Any]]) -> None:
        self.employees = {employee["id"]: employee for employee in employees}
        self.deleted: dict[str, str] = {}  # id: when deleted
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        self.failures: dict[str, list[int]] = {}
        self.base_url = ""

    def fail(self, path: str, *statuses: int) -> None:
        self.failures.setdefault(path, []).extend(statuses)

    def delete(self, employee_id: str, when: str) -> None:
        del self.employees[employee_id]
        self.deleted[employee_id] = when

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], auth: str, body: bytes
    ) -> tuple[int, dict, Any]:
        self.requests.append((method, path, query))
        planted = planted_failure(
            self.failures, path, lambda status: {"error": f"planted {status}"}
        )
        if planted:
            return planted
        if not _authorised(auth):
            return 401, {}, {"error": "Unauthorized"}
        route = path.removeprefix(ROOT)
        if method == "POST" and route == "/reports/custom":
            return 200, {}, self._report(json.loads(body or b"{}"))
        if method == "GET" and route == "/employees/changed":
            return 200, {}, self._changed(query["since"][-1])
        employee = self.employees.get(route.removeprefix("/employees/"))
        if method == "GET" and employee is not None:
            fields = query.get("fields", [""])[-1].split(",")
            return 200, {}, {"id": employee["id"], **_projected(employee, fields)}
        return 404, {}, {"error": "not found"}

    def _report(self, request: dict[str, Any]) -> dict[str, Any]:
        fields = request.get("fields") or []
        return {
            "title": request.get("title"),
            "fields": [{"id": name, "type": "text", "name": name} for name in fields],
            "employees": [
                {"id": employee["id"], **_projected(employee, fields)}
                for employee in self.employees.values()
            ],
        }

    def _changed(self, since: str) -> dict[str, Any]:
        after = _instant(since)
        changed = {
            employee["id"]: {
                "id": employee["id"],
                "action": "Updated",
                "lastChanged": employee["lastChanged"],
            }
            for employee in self.employees.values()
            if _instant(employee["lastChanged"]) >= after
        }
        for employee_id, when in self.deleted.items():
            if _instant(when) >= after:
                changed[employee_id] = {"id": employee_id, "action": "Deleted", "lastChanged": when}
        return {"latest": dt.datetime.now(dt.UTC).isoformat(), "employees": changed}


def _authorised(auth: str) -> bool:
    """HTTP Basic with the API key as the user name, any password."""
    try:
        user = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")[0]
    except ValueError:
        return False
    return auth.startswith("Basic ") and user == API_KEY


def _projected(employee: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """The fields asked for (a field the employee lacks: null, as BambooHR answers)."""
    return {name: employee.get(name) for name in fields if name != "id"}


def _instant(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp)


@contextmanager
def serving(api: BambooHrApi) -> Iterator[BambooHrApi]:
    """Serve `api` on 127.0.0.1 (a free port) while in the block; `api.base_url` is set
    (the company's API root: NYCKELTAL_BAMBOOHR_API_BASE)."""
    with serving_http(api.answer) as root:
        api.base_url = root + ROOT
        yield api
