"""Where digests go: the JSON-lines alert file always, the webhook and, through Apprise,
Slack, Teams, e-mail and the rest (`NYCKELTAL_ALERT_APPRISE_URLS`) when configured.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nyckeltal.alerts.digest import FAILURE, Digest, append_alerts, failure_digest, read_alert_ids
from nyckeltal.alerts.webhook import post_json


def webhook_payload(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The JSON body POSTed to the webhook (`text` makes it readable in Slack/Teams too)."""
    lines = [f"Nyckeltal: {len(records)} KPI alert(s)"]
    lines += [f"- {record['message']}" for record in records]
    return {"source": "nyckeltal", "text": "\n".join(lines), "alerts": list(records)}


def post_alerts(url: str, records: Sequence[Mapping[str, Any]], timeout: float = 10.0) -> int:
    """POST the alerts as JSON to an http(s) webhook; return the HTTP status.

    Transient failures are retried; raises `WebhookError` (an OSError, one line) on failure
    (nyckeltal.alerts.webhook, which says why this is not Apprise's `json://`).
    """
    return post_json(url, webhook_payload(records), timeout)


def post_digest(url: str, record: Mapping[str, Any], timeout: float = 10.0) -> int:
    """POST a digest record as JSON to an http(s) webhook (`text` reads well in Slack and
    Teams incoming webhooks); return the HTTP status."""
    text = f"{record['title']}\n{record['text']}"
    return post_json(url, {"source": "nyckeltal", **record, "text": text}, timeout)


def notify_apprise(urls: str | Sequence[str], title: str, body: str, failure: bool) -> bool:
    """Send through Apprise (Slack, Teams, e-mail, ...: https://github.com/caronc/apprise);
    `urls` is one string of space/comma separated Apprise URLs or a list. True on success."""
    import apprise

    notifier = apprise.Apprise()
    for url in [urls] if isinstance(urls, str) else urls:
        if url and not notifier.add(url):
            raise ValueError(f"not an Apprise URL: {url!r}")
    if not len(notifier):
        return True
    kind = apprise.NotifyType.FAILURE if failure else apprise.NotifyType.WARNING
    return bool(notifier.notify(title=title, body=body, notify_type=kind))


if TYPE_CHECKING:
    from nyckeltal.context import RunContext


@dataclass(frozen=True)
class Channels:
    """Where digests go: the alert file always, the webhook and Apprise when configured."""

    alerts_file: Path
    webhook_url: str | None = None
    apprise_urls: str | None = None
    timeout: float = 10.0


def deliver(digest: Digest, channels: Channels, run_id: str | None = None) -> dict[str, Any]:
    """Send the digest to the webhook and Apprise, then append it to the alert file (last: a
    delivery that raised leaves the findings unreported, so a retry sends them again).
    Returns the record written, with the webhook's HTTP status."""
    record = digest.to_record(run_id)
    status = None
    if channels.webhook_url:
        status = post_digest(channels.webhook_url, record, timeout=channels.timeout)
    if channels.apprise_urls and not notify_apprise(
        channels.apprise_urls, digest.title, record["text"], failure=digest.kind == FAILURE
    ):
        raise OSError("Apprise could not deliver the alert digest")
    append_alerts(channels.alerts_file, [record])
    return {**record, "webhook_status": status}


def channels_of(context: RunContext) -> Channels:
    """The channels of a run's context: its alert file (NYCKELTAL_ALERTS_FILE, else
    alerts.jsonl beside the warehouse), NYCKELTAL_ALERT_WEBHOOK_URL and
    NYCKELTAL_ALERT_APPRISE_URLS, read once at the edge into the context."""
    return Channels(
        alerts_file=context.alerts_file,
        webhook_url=context.settings.alert_webhook_url,
        apprise_urls=context.settings.alert_apprise_urls,
    )


def notify_run_failure(
    run_id: str,
    reasons: Sequence[str],
    channels: Channels,
    job_name: str = "daily_refresh",
) -> dict[str, Any] | None:
    """Raise the failure digest of a run once (the alert file remembers the run's id, so
    `nyckeltal run` and the run-failure sensor never both send it). Returns the record, or
    None when it was already sent."""
    digest = failure_digest(run_id, reasons, job_name)
    if set(digest.item_ids) <= read_alert_ids(channels.alerts_file):
        return None
    return deliver(digest, channels, run_id=run_id)


def alert_run_failure(
    run_id: str,
    reasons: Sequence[str],
    channels: Channels,
    job_name: str = "daily_refresh",
) -> str | None:
    """THE route of a failure alert (`nyckeltal run` and the run-failure sensor alike): the
    failure digest with `reasons`, sent once to `channels`.
    Returns None when sent (or already sent), else why it could not be delivered: a channel
    that cannot be reached never hides the run's own failure."""
    from nyckeltal import failures

    try:
        notify_run_failure(run_id, reasons, channels, job_name)
    except (OSError, ValueError) as error:
        return f"the failure alert could not be delivered: {failures.explain(error) or error}"
    return None


def raise_digest(
    marts: Path,
    channels: Channels,
    change_share_threshold: float = 0.25,
    include_incomplete: bool = False,
    run_id: str | None = None,
) -> tuple[Digest | None, dict[str, Any] | None, int, int]:
    """Evaluate the marts of the DuckDB file `marts` (the warehouse, or the published file
    on other engines) and deliver the digest of what is new: (digest or None, the record
    written or None, findings, scorecard rows). A delivery that fails raises (OSError)
    before anything is written, so a retry sends the same digest again."""
    from nyckeltal.alerts.digest import build_digest, has_alert_history
    from nyckeltal.alerts.findings import findings_of_warehouse

    findings, context, rows = findings_of_warehouse(
        marts, change_share_threshold, include_incomplete
    )
    digest = build_digest(
        findings,
        read_alert_ids(channels.alerts_file),
        has_history=has_alert_history(channels.alerts_file),
        context=context,
    )
    if digest is None:
        return None, None, len(findings), rows
    return digest, deliver(digest, channels, run_id=run_id), len(findings), rows
