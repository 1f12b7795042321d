"""Serve a stand-in for a vendor's API on 127.0.0.1 (tests/stripe_api_server.py,
tests/hubspot_api_server.py).

`serving(api)` runs http.server in a thread while in the block and sets `api.base_url`
(`http://127.0.0.1:<port>` + `api.base_path`). Every GET and POST is answered by
`api.answer(method, path, query, body, auth)` -> (status, headers, JSON body): `query` the
last value of each parameter, `body` the request's JSON (None without one), `auth` its
Authorization header.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlparse


class Api(Protocol):
    base_url: str
    base_path: str

    def answer(
        self, method: str, path: str, query: dict[str, str], body: Any, auth: str
    ) -> tuple[int, dict, Any]: ...


@contextmanager
def serving(api: Api) -> Iterator[Api]:
    """Serve `api` on 127.0.0.1 (a free port) while in the block; `api.base_url` is set."""

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, method: str) -> None:
            url = urlparse(self.path)
            query = {key: values[-1] for key, values in parse_qs(url.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            auth = self.headers.get("Authorization", "")
            status, headers, answer = api.answer(method, url.path, query, body, auth)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self._reply("GET")

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            self._reply("POST")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.base_url = f"http://127.0.0.1:{server.server_address[1]}{api.base_path}"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
