"""A local HTTP server on 127.0.0.1 for the stand-ins of vendors' APIs (stripe_api_server,
personio_api_server): `serving_http(answer)` serves GET and POST from a thread with
http.server, each request answered by `answer(method, path, query, authorization, body)`
(query: every value of a parameter, in order) as (status, headers, JSON body);
`planted_failure` answers the failures a test queued for a path."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

Answer = Callable[[str, str, dict[str, list[str]], str, bytes], tuple[int, dict, Any]]


def planted_failure(
    failures: dict[str, list[int]], path: str, error: Callable[[int], Any]
) -> tuple[int, dict, Any] | None:
    """The next failure a stand-in's `fail(path, 429, ...)` queued for `path`, as an answer
    (status, headers: a 429 carries `Retry-After: 1`, the body `error(status)`), else None."""
    queued = failures.get(path)
    if not queued:
        return None
    status = queued.pop(0)
    return status, {"Retry-After": "1"} if status == 429 else {}, error(status)


@contextmanager
def serving_http(answer: Answer) -> Iterator[str]:
    """Serve `answer` on 127.0.0.1 (a free port) while in the block; yields the root URL."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            status, headers, body = answer(
                method,
                url.path,
                parse_qs(url.query),
                self.headers.get("Authorization", ""),
                self.rfile.read(length) if length else b"",
            )
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self._answer("GET")

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            self._answer("POST")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
