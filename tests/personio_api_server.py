"""A local stand-in for Personio's public API v1 (https://developer.personio.de), on 127.0.0.1.

`PersonioApi(employees)` serves, from a thread with http.server, `POST /v1/auth` (JSON
client_id and client_secret: `{"success": true, "data": {"token", "expires_in", "scope"}}`,
else a 401) and `GET /v1/company/employees` (Bearer token; `limit`, `offset`,
`attributes[]` as a projection, `updated_since` selecting the employees whose
last_modified_at is after it, which, as Personio documents, ignores limit and offset; the
list `{"success", "metadata": {"total_elements", "current_page", "total_pages"}, "offset",
"limit", "data": [{"type": "Employee", "attributes": {key: {"label", "value", "type",
"universal_id"}}}]}`). `fail(path, 429, ...)` queues answers for the next requests of a
path (a 429 carries `Retry-After: 1`); `expire()` refuses the tokens given so far. Every
request is recorded in `requests` (method, path, query with lists kept).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from local_http import planted_failure, serving_http

CLIENT_ID = "papi-nyckeltal"
CLIENT_SECRET = "papi-secret"


def attribute(label: str, value: Any, kind: str = "standard", universal_id: str | None = None):
    """One attribute object of an employee, as Personio writes it."""
    return {"label": label, "value": value, "type": kind, "universal_id": universal_id}


class PersonioApi:
    def __init__(self, employees: list[dict[str, Any]]) -> None:
        self.employees = employees  # each {"type": "Employee", "attributes": {...}}
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        self.failures: dict[str, list[int]] = {}
        self.tokens: set[str] = set()
        self.base_url = ""

    def fail(self, path: str, *statuses: int) -> None:
        self.failures.setdefault(path, []).extend(statuses)

    def expire(self) -> None:
        self.tokens.clear()

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], auth: str, body: bytes
    ) -> tuple[int, dict, dict]:
        self.requests.append((method, path, query))
        planted = planted_failure(
            self.failures, path, lambda status: _error(status, f"planted {status}")
        )
        if planted:
            return planted
        if method == "POST" and path == "/v1/auth":
            given = json.loads(body or b"{}")
            if (given.get("client_id"), given.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
                return 401, {}, _error(401, "Wrong credentials")
            token = f"token-{len(self.requests)}"
            self.tokens.add(token)
            data = {"token": token, "expires_in": 86400, "scope": "employees:read"}
            return 200, {}, {"success": True, "data": data}
        if method == "GET" and path == "/v1/company/employees":
            if auth.removeprefix("Bearer ") not in self.tokens:
                return 401, {}, _error(401, "Provided authorization is not valid")
            return 200, {}, self._employees(query)
        return 404, {}, _error(404, "not found")

    def _employees(self, query: dict[str, list[str]]) -> dict[str, Any]:
        rows = self.employees
        wanted = query.get("attributes[]")
        limit, offset = int(query.get("limit", ["10"])[-1]), int(query.get("offset", ["0"])[-1])
        if "updated_since" in query:
            since = dt.datetime.fromisoformat(query["updated_since"][-1])
            rows = [row for row in rows if _modified(row) > since]
            limit, offset = max(len(rows), 1), 0  # limit and offset are ignored
        page = rows[offset : offset + limit]
        if wanted:
            page = [
                {**row, "attributes": {k: v for k, v in row["attributes"].items() if k in wanted}}
                for row in page
            ]
        return {
            "success": True,
            "metadata": {
                "total_elements": len(rows),
                "current_page": offset // limit,
                "total_pages": math.ceil(len(rows) / limit),
            },
            "offset": offset,
            "limit": limit,
            "data": page,
        }


def _modified(employee: dict[str, Any]) -> dt.datetime:
    """The employee's last_modified_at, naive in its own zone (as updated_since is read)."""
    value = employee["attributes"]["last_modified_at"]["value"]
    return dt.datetime.fromisoformat(value).replace(tzinfo=None)


def _error(code: int, message: str) -> dict[str, Any]:
    return {"success": False, "error": {"code": code, "message": message}}


@contextmanager
def serving(api: PersonioApi) -> Iterator[PersonioApi]:
    """Serve `api` on 127.0.0.1 (a free port) while in the block; `api.base_url` is set
    (the API's root: the paths start with /v1)."""
    with serving_http(api.answer) as root:
        api.base_url = root
        yield api
