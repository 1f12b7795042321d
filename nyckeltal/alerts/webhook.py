"""The alert webhook: one JSON POST, retried on transient failures.

Apprise (`notify_apprise` in nyckeltal.alerts.channels) serves the chat and e-mail channels, but
its `json://` schema posts its own body (`version`, `title`, `message`, `attachments`,
`type`, plus string fields from the URL): it cannot post the project's JSON body (the
`alerts` list, the digest's fields) that webhook consumers read. So the webhook keeps that
body and is posted with `requests` (Apprise's own HTTP client) and urllib3's `Retry`: a 5xx
answer, a refused or dropped connection or a timeout is retried with exponential backoff;
anything else fails at once. Every failure is one line, `WebhookError` (an OSError).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

RETRIES = 3
BACKOFF_SECONDS = 0.5  # 0.5 s, 1 s, 2 s between the attempts


class WebhookError(OSError):
    """The webhook refused the POST, or could not be reached after the retries."""


def post_json(
    url: str,
    payload: Mapping[str, Any],
    timeout: float = 10.0,
    retries: int = RETRIES,
    backoff_seconds: float = BACKOFF_SECONDS,
) -> int:
    """POST `payload` as JSON to an http(s) URL; return the HTTP status (2xx or 3xx)."""
    if urllib.parse.urlsplit(url).scheme not in {"http", "https"}:
        raise ValueError(f"the alert webhook must be an http(s) URL, not {url!r}")
    retry = Retry(
        total=retries,
        backoff_factor=backoff_seconds,
        status_forcelist=(500, 502, 503, 504),
        allowed_methods=None,  # POST too: a digest sent twice is harmless, one lost is not
        raise_on_status=False,
    )
    with requests.Session() as session:
        session.mount("http://", HTTPAdapter(max_retries=retry))
        session.mount("https://", HTTPAdapter(max_retries=retry))
        try:
            response = session.post(
                url,
                data=json.dumps(payload, default=str).encode("utf-8"),
                headers={"Content-Type": "application/json", "User-Agent": "nyckeltal-alerts"},
                timeout=timeout,
            )
        except requests.RequestException as error:
            reason = _reason(error)
            raise WebhookError(
                f"the alert webhook {_safe(url)} could not be reached after {retries + 1} "
                f"attempts: {reason}"
            ) from None
    if response.status_code >= 400:
        attempts = f" after {retries + 1} attempts" if response.status_code >= 500 else ""
        raise WebhookError(
            f"the alert webhook {_safe(url)} answered HTTP {response.status_code} "
            f"{response.reason}{attempts}"
        )
    return response.status_code


def _safe(url: str) -> str:
    """The URL without its path and query (webhook URLs carry their secret there)."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"


def _reason(error: requests.RequestException) -> str:
    """The innermost cause of a requests error, on one line."""
    cause: BaseException = error
    while getattr(cause, "reason", None) is not None and isinstance(cause.reason, BaseException):
        cause = cause.reason
    text = str(cause).strip().splitlines()
    return text[-1] if text else type(cause).__name__
