"""The alert webhook POST: the project's JSON body, retried on transient failures (5xx, a
refused connection), one line otherwise (issue 21: it was one urllib POST, no retry)."""

from __future__ import annotations

import socket

import pytest
from webhook_recorder import Webhook

from nyckeltal.alerts.webhook import WebhookError, post_json

BODY = {"source": "nyckeltal", "text": "Nyckeltal: 1 KPI alert(s)", "alerts": [{"kpi": "x"}]}


def test_a_5xx_answer_is_retried_until_it_is_delivered(webhook: Webhook) -> None:
    webhook.answers = [503, 502]
    assert post_json(webhook.url(), BODY, backoff_seconds=0) == 200
    assert webhook.bodies == [BODY, BODY, BODY]
    assert {post["content_type"] for post in webhook.posts} == {"application/json"}


def test_a_4xx_answer_fails_at_once_in_one_line(webhook: Webhook) -> None:
    webhook.status = 404
    with pytest.raises(WebhookError) as raised:
        post_json(webhook.url("/secret-token"), BODY, backoff_seconds=0)
    message = str(raised.value)
    assert message == f"the alert webhook {webhook.url('')} answered HTTP 404 Not Found"
    assert len(webhook.posts) == 1


def test_a_5xx_that_persists_fails_after_the_retries(webhook: Webhook) -> None:
    webhook.status = 500
    with pytest.raises(WebhookError, match=r"HTTP 500 .* after 3 attempts$"):
        post_json(webhook.url(), BODY, retries=2, backoff_seconds=0)
    assert len(webhook.posts) == 3


def test_a_refused_connection_is_retried_then_reported_in_one_line() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OSError) as raised:
        post_json(f"http://127.0.0.1:{port}/hook", BODY, retries=2, backoff_seconds=0)
    message = str(raised.value)
    assert isinstance(raised.value, WebhookError) and "\n" not in message
    assert message.startswith(f"the alert webhook http://127.0.0.1:{port} could not be reached")
    assert "after 3 attempts" in message and "refused" in message.lower()
