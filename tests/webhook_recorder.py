"""A local webhook for the alert tests: an HTTP server on 127.0.0.1 recording JSON POSTs."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Webhook:
    """A local HTTP server on 127.0.0.1 recording the JSON POSTed to it."""

    port: int
    status: int = 200  # the answer to every POST
    answers: list[int] = field(default_factory=list)  # the first answers, before `status`
    posts: list[dict[str, Any]] = field(default_factory=list)  # path, content_type, body

    def url(self, path: str = "/hook", scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    @property
    def bodies(self) -> list[Any]:
        return [post["body"] for post in self.posts]


class _Recorder(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        webhook: Webhook = self.server.webhook  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
        kind = self.headers.get("Content-Type", "")
        webhook.posts.append({"path": self.path, "content_type": kind, "body": json.loads(body)})
        self.send_response(webhook.answers.pop(0) if webhook.answers else webhook.status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve_webhook() -> Iterator[Webhook]:
    """A `Webhook` listening until the block ends."""
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    server.webhook = Webhook(server.server_port)  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.webhook  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
