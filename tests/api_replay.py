"""Serve a stand-in for a vendor's API on 127.0.0.1 whose `answer` takes the request parsed
(tests/hubspot_api_server.py), over tests/local_http.py's server.

`serving(api)` serves while in the block and sets `api.base_url` (`http://127.0.0.1:<port>`
+ `api.base_path`). Every GET and POST is answered by `api.answer(method, path, query, body,
auth)` -> (status, headers, JSON body): `query` the last value of each parameter, `body` the
request's JSON (None without one), `auth` its Authorization header.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from local_http import serving_http


class Api(Protocol):
    base_url: str
    base_path: str

    def answer(
        self, method: str, path: str, query: dict[str, str], body: Any, auth: str
    ) -> tuple[int, dict, Any]: ...


@contextmanager
def serving(api: Api) -> Iterator[Api]:
    """Serve `api` on 127.0.0.1 (a free port) while in the block; `api.base_url` is set."""

    def answer(method: str, path: str, query: dict, auth: str, body: bytes) -> tuple:
        last = {key: values[-1] for key, values in query.items()}
        return api.answer(method, path, last, json.loads(body) if body else None, auth)

    with serving_http(answer) as root:
        api.base_url = f"{root}{api.base_path}"
        yield api
