"""KPI alerts: one digest per refresh of what deserves a human's attention.

Plain functions, no Dagster: `rules` (which scorecard rows alert), `findings` (the rules'
alerts plus anomalies, call-outs, forecast misses and churn risk, each with an id and a
score), `digest` (what is new against the alert file; the baseline; the failure digest) and
`channels` (the alert file, the webhook, Apprise; `alert_run_failure`, the one route of a
failure alert). The `kpi_alerts` asset and the run-failure sensor (orchestration/defs/alerts.py)
call them.
"""

from nyckeltal.alerts.channels import (
    Channels,
    alert_run_failure,
    channels_of,
    deliver,
    notify_apprise,
    notify_run_failure,
    post_alerts,
    post_digest,
    raise_digest,
    webhook_payload,
)
from nyckeltal.alerts.digest import (
    Digest,
    alert_records,
    append_alerts,
    build_digest,
    failure_digest,
    has_alert_history,
    read_alert_ids,
    unseen,
)
from nyckeltal.alerts.findings import (
    ANOMALY,
    BASELINE,
    CALLOUT,
    CHURN_RISK,
    DIGEST,
    FAILURE,
    FORECAST_MISS,
    SECTIONS,
    TRIGGERS,
    Finding,
    alert_findings,
    anomaly_findings,
    callout_findings,
    churn_risk_findings,
    findings_of_warehouse,
    forecast_miss_findings,
    read_relation,
)
from nyckeltal.alerts.rules import (
    BECAME_OFF_TRACK,
    MOVED_MORE_THAN_SHARE,
    OFF_TRACK,
    Alert,
    change_share,
    evaluate_alerts,
    latest_and_previous,
)

__all__ = [
    "ANOMALY",
    "BASELINE",
    "BECAME_OFF_TRACK",
    "CALLOUT",
    "CHURN_RISK",
    "DIGEST",
    "FAILURE",
    "FORECAST_MISS",
    "MOVED_MORE_THAN_SHARE",
    "OFF_TRACK",
    "SECTIONS",
    "TRIGGERS",
    "Alert",
    "Channels",
    "Digest",
    "Finding",
    "alert_findings",
    "alert_records",
    "alert_run_failure",
    "anomaly_findings",
    "append_alerts",
    "build_digest",
    "callout_findings",
    "change_share",
    "channels_of",
    "churn_risk_findings",
    "deliver",
    "evaluate_alerts",
    "failure_digest",
    "findings_of_warehouse",
    "forecast_miss_findings",
    "has_alert_history",
    "latest_and_previous",
    "notify_apprise",
    "notify_run_failure",
    "post_alerts",
    "post_digest",
    "raise_digest",
    "read_alert_ids",
    "read_relation",
    "unseen",
    "webhook_payload",
]
