"""The alert digest: baseline, ranking, de-duplication, channels (webhook, Apprise) and the
failure alert of a failed run. No dbt: scorecard rows are built here."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from alert_rows import kpi_row as _row
from webhook_recorder import Webhook

from nyckeltal import alerts, settings
from nyckeltal.context import RunContext


def _scorecard(latest_status: str = "off_track") -> list[dict[str, Any]]:
    rows = []
    for segment in ("all", "basic-m", "pro-y"):
        segment_type = "total" if segment == "all" else "plan"
        rows += [
            _row(
                "2024-01-01",
                1.0,
                "on_track",
                None,
                segment_value=segment,
                segment_type=segment_type,
            ),
            _row(
                "2024-02-01",
                3.0,
                latest_status,
                1.0,
                segment_value=segment,
                segment_type=segment_type,
            ),
        ]
    return rows


def _run(rows: list[dict[str, Any]], channels: alerts.Channels, **extra: Any):
    findings = alerts.alert_findings(alerts.evaluate_alerts(rows))
    findings += extra.get("more", [])
    digest = alerts.build_digest(
        findings,
        alerts.read_alert_ids(channels.alerts_file),
        has_history=alerts.has_alert_history(channels.alerts_file),
        context=extra.get("context", ()),
    )
    return None if digest is None else alerts.deliver(digest, channels, run_id="r")


def test_first_run_sets_the_baseline_and_an_identical_run_raises_nothing(
    tmp_path: Path,
) -> None:
    channels = alerts.Channels(tmp_path / "alerts.jsonl")
    first = _run(_scorecard(), channels)
    assert first is not None and first["kind"] == alerts.BASELINE
    # 3 segments x (off track + moved +200 %): recorded, not alerted one by one.
    assert len(first["item_ids"]) == 6
    assert first["text"].startswith("Baseline set: 6 finding(s)")
    assert _run(_scorecard(), channels) is None
    (line,) = channels.alerts_file.read_text().splitlines()
    assert json.loads(line)["kind"] == "baseline"


def test_a_failed_first_refresh_does_not_skip_the_baseline(tmp_path: Path) -> None:
    channels = alerts.Channels(tmp_path / "alerts.jsonl")
    alerts.notify_run_failure("run-1", ["dbt failed"], channels)
    assert not alerts.has_alert_history(channels.alerts_file)
    record = _run(_scorecard(), channels)
    assert record is not None and record["kind"] == alerts.BASELINE


def test_a_new_finding_raises_one_ranked_digest(tmp_path: Path) -> None:
    channels = alerts.Channels(tmp_path / "alerts.jsonl")
    _run(_scorecard(latest_status="on_track"), channels)  # baseline: only the moves
    record = _run(_scorecard(), channels)
    assert record is not None and record["kind"] == alerts.DIGEST
    assert len(record["item_ids"]) == 3  # the three became_off_track, nothing else
    lines = record["text"].splitlines()
    assert lines[0] == "KPIs that went off track (3):"
    assert lines[1].startswith("- churn_rate total/all 2024-02-01")  # the total first
    assert len(channels.alerts_file.read_text().splitlines()) == 2
    assert _run(_scorecard(), channels) is None


def test_previous_status_is_read_from_the_scorecard_when_present() -> None:
    rows = [
        _row("2024-01-01", 1.0, "off_track", None),
        _row("2024-02-01", 1.1, "off_track", 1.0, previous_status="on_track"),
    ]
    (alert,) = alerts.evaluate_alerts(rows)
    assert alert.reasons == (alerts.BECAME_OFF_TRACK,)
    assert alert.previous_status == "on_track"
    rows[1]["previous_status"] = "off_track"
    assert alerts.evaluate_alerts(rows) == []


def test_sections_are_ranked_and_capped() -> None:
    anomalies = [
        {
            "kpi_code": f"kpi_{i}",
            "segment_type": "total",
            "segment_value": "all",
            "period_grain": "month",
            "period_start": dt.date(2024, 2, 1),
            "value": 10.0 + i,
            "expected_low": 1.0,
            "expected_high": 2.0,
            "direction": "above",
            "robust_z": float(i),
            "is_anomaly": True,
        }
        for i in range(8)
    ]
    findings = alerts.anomaly_findings(anomalies)
    digest = alerts.build_digest(findings, set(), has_history=True)
    assert digest is not None
    lines = digest.text().splitlines()
    assert lines[0] == "Anomalies against their own history (8):"
    assert lines[1].startswith("- kpi_7 total/all 2024-02-01")
    assert lines[-1] == "- ... and 3 more"


def test_churn_risk_is_context_never_a_trigger(tmp_path: Path) -> None:
    risk = alerts.churn_risk_findings(
        [
            {
                "customer_id": "C1",
                "as_of_month": dt.date(2024, 3, 1),
                "churn_probability": 0.5,
                "risk_band": "high",
                "mrr_at_stake": 50.0,
                "top_factors": "short tenure",
            },
            {
                "customer_id": "C2",
                "as_of_month": dt.date(2024, 3, 1),
                "churn_probability": 0.9,
                "risk_band": "high",
                "mrr_at_stake": 90.0,
                "top_factors": "",
            },
        ]
    )
    assert [f.item_id for f in risk] == ["churn_risk|C2|2024-03-01", "churn_risk|C1|2024-03-01"]
    assert alerts.build_digest([], set(), has_history=True, context=risk) is None


def test_the_digest_reaches_the_webhook_and_apprise(tmp_path: Path, webhook: Webhook) -> None:
    channels = alerts.Channels(
        tmp_path / "alerts.jsonl",
        webhook_url=webhook.url(),
        apprise_urls=webhook.url("/apprise", scheme="json"),
    )
    record = _run(_scorecard(), channels)
    assert record is not None and record["webhook_status"] == 200
    hook, apprise_post = webhook.posts
    assert hook["path"] == "/hook"
    assert hook["body"]["kind"] == "baseline"
    assert hook["body"]["text"].startswith("Nyckeltal: alert baseline set\nBaseline set")
    assert apprise_post["path"] == "/apprise"
    assert apprise_post["body"]["title"] == "Nyckeltal: alert baseline set"
    assert apprise_post["body"]["message"].startswith("Baseline set: 6 finding(s)")


def test_an_unreachable_channel_raises_and_writes_nothing(tmp_path: Path) -> None:
    channels = alerts.Channels(tmp_path / "alerts.jsonl", apprise_urls="json://127.0.0.1:9/x")
    with pytest.raises(OSError):
        _run(_scorecard(), channels)
    assert not channels.alerts_file.exists()  # a retry sends the digest again


def test_a_failed_cli_run_posts_a_failure_alert_once(
    tmp_path: Path,
    webhook: Webhook,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from orchestration import refresh

    monkeypatch.setenv("NYCKELTAL_ALERTS_FILE", str(tmp_path / "alerts.jsonl"))
    monkeypatch.setenv("NYCKELTAL_ALERT_WEBHOOK_URL", webhook.url())
    failed = SimpleNamespace(success=False, run_id="run-0001-abcdef", all_events=[])
    monkeypatch.setattr(refresh, "execute_daily_refresh", lambda *a, **k: failed)
    monkeypatch.setattr(
        refresh, "failure_reasons", lambda result: ["check raw_billing/invoices failed (ERROR)"]
    )
    assert refresh.run_daily_refresh(RunContext.build(warehouse=tmp_path / "wh.duckdb")) is False
    (post,) = webhook.posts
    assert post["body"]["kind"] == "failure"
    assert "check raw_billing/invoices failed (ERROR)" in post["body"]["text"]
    assert post["body"]["item_ids"] == ["failure|run-0001-abcdef"]
    # The sensor (or a second call) finds it already sent.
    channels = alerts.channels_of(RunContext.build(warehouse=tmp_path / "wh.duckdb"))
    assert alerts.notify_run_failure("run-0001-abcdef", ["again"], channels) is None
    assert len(webhook.posts) == 1


def test_the_run_failure_sensor_posts_the_failed_steps(
    tmp_path: Path,
    webhook: Webhook,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dagster import (
        DagsterEventType,
        DagsterInstance,
        build_run_status_sensor_context,
        job,
        op,
    )

    from orchestration.defs.alerts import build_run_failure_sensor

    monkeypatch.setenv("NYCKELTAL_ALERTS_FILE", str(tmp_path / "alerts.jsonl"))
    monkeypatch.setenv("NYCKELTAL_ALERT_WEBHOOK_URL", webhook.url())

    @op
    def load_invoices() -> None:
        raise RuntimeError("the warehouse disk is full")

    @job
    def tiny_refresh() -> None:
        load_invoices()

    with DagsterInstance.ephemeral() as instance:
        result = tiny_refresh.execute_in_process(instance=instance, raise_on_error=False)
        failure = next(e for e in result.all_events if e.event_type == DagsterEventType.RUN_FAILURE)
        context = build_run_status_sensor_context(
            sensor_name="refresh_failure_alert",
            dagster_event=failure,
            dagster_instance=instance,
            dagster_run=result.dagster_run,
        ).for_run_failure()
        sensor = build_run_failure_sensor(settings.current())
        sensor(context)  # Dagster's direct invocation of a sensor, as its docs test them
    (post,) = webhook.posts
    assert post["body"]["kind"] == "failure"
    assert "step load_invoices failed" in post["body"]["text"]
    assert "the warehouse disk is full" in post["body"]["text"]
    assert "tiny_refresh" in post["body"]["title"]
