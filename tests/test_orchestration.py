"""Unit tests of the Dagster code location's pure helpers (no dbt, no warehouse build)."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from pathlib import Path

import pytest
from alert_rows import kpi_row as _row
from dagster import AssetCheckSeverity, AssetKey
from pydantic import ValidationError
from webhook_recorder import Webhook

from nyckeltal import alerts, settings
from nyckeltal.context import RunContext
from nyckeltal.quality.outcome import Failure, SuiteResult, ValidationOutcome
from nyckeltal.settings import Settings
from orchestration.defs.quality import (
    failure_is_error,
    failures_by_target,
    outcome_results,
    raw_asset_key,
    table_of,
)
from orchestration.jobs import refresh_run_config
from orchestration.resources import (
    NyckeltalResource,
    is_transient_failure,
    manifest_is_stale,
    retry_policy,
)
from orchestration.schedules import day_for_tick

PROJECT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- settings


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No NYCKELTAL_ or DBT_TARGET_PATH variable set: the defaults apply."""
    for name in list(os.environ):
        if name.startswith("NYCKELTAL_") or name == "DBT_TARGET_PATH":
            monkeypatch.delenv(name)
    return monkeypatch


def test_settings_defaults_run_the_embedded_duckdb(clean_environment: pytest.MonkeyPatch) -> None:
    config = Settings(_env_file=None)
    assert config.warehouse == PROJECT / "warehouse" / "nyckeltal.duckdb"
    assert config.dbt_target_path == PROJECT / "target"
    assert config.schedule_cron == "0 6 * * *"
    assert config.schedule_timezone == "Europe/Stockholm"
    assert config.schedule_enabled is True
    assert config.alert_change_share == 0.25
    assert config.alerts_file is None  # beside the run's warehouse
    assert settings.alerts_path() == PROJECT / "warehouse" / "alerts.jsonl"
    assert config.alert_webhook_url is None
    assert config.published is None
    assert settings.published_path() == PROJECT / "warehouse" / "nyckeltal_published.duckdb"
    assert settings.reporting_currency() == "EUR"
    assert RunContext.build(config).dbt_vars() == {}


def test_settings_from_environment(tmp_path: Path, clean_environment: pytest.MonkeyPatch) -> None:
    variables = {
        "NYCKELTAL_WAREHOUSE": str(tmp_path / "wh.duckdb"),
        "DBT_TARGET_PATH": str(tmp_path / "dbt-target"),
        "NYCKELTAL_DBT_TARGET_PATH": str(tmp_path / "target"),
        "NYCKELTAL_SCHEDULE_CRON": "30 5 * * 1-5",
        "NYCKELTAL_SCHEDULE_TIMEZONE": "UTC",
        "NYCKELTAL_SCHEDULE_ENABLED": "false",
        "NYCKELTAL_RETRIES": "5",
        "NYCKELTAL_RETRY_DELAY_SECONDS": "2.5",
        "NYCKELTAL_ALERTS_FILE": str(tmp_path / "a.jsonl"),
        "NYCKELTAL_ALERT_WEBHOOK_URL": "http://127.0.0.1:9/hook",
        "NYCKELTAL_ALERT_CHANGE_SHARE": "0.1",
        "NYCKELTAL_ALERT_INCLUDE_INCOMPLETE": "yes",
        "NYCKELTAL_REPORTING_CURRENCY": "sek",
    }
    for name, value in variables.items():
        clean_environment.setenv(name, value)
    config = Settings(_env_file=None)
    assert config.warehouse == tmp_path / "wh.duckdb"
    assert config.dbt_target_path == tmp_path / "target"  # NYCKELTAL_ wins over DBT_
    assert (config.schedule_cron, config.schedule_timezone) == ("30 5 * * 1-5", "UTC")
    assert config.schedule_enabled is False
    assert (config.retries, config.retry_delay_seconds) == (5, 2.5)
    assert config.alerts_file == tmp_path / "a.jsonl"
    assert config.alert_webhook_url == "http://127.0.0.1:9/hook"
    assert config.alert_change_share == 0.1
    assert config.alert_include_incomplete is True
    # The reporting currency reaches the loader and GX (reporting_currency) and dbt (a var).
    assert settings.reporting_currency() == "SEK"
    assert RunContext.build(config).dbt_vars() == {"reporting_currency": "SEK"}
    assert NyckeltalResource(warehouse="x").dbt_vars() == {"reporting_currency": "SEK"}
    policy = retry_policy(config)
    assert policy.max_retries == 5
    assert policy.delay == 2.5
    assert policy.backoff is not None and policy.backoff.value == "EXPONENTIAL"


def test_relative_paths_are_taken_from_the_project(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("NYCKELTAL_PUBLISHED", "out/published.duckdb")
    clean_environment.setenv("NYCKELTAL_WAREHOUSE", "data/wh.duckdb")
    assert settings.warehouse_path() == PROJECT / "data" / "wh.duckdb"
    assert settings.published_path() == PROJECT / "out" / "published.duckdb"


def test_a_bad_setting_names_the_variable(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("NYCKELTAL_RETRIES", "many")
    with pytest.raises(ValidationError, match="retries"):
        Settings(_env_file=None)


def test_environment_variables_are_read_in_one_module() -> None:
    readers = sorted(
        str(path.relative_to(PROJECT))
        for folder in ("nyckeltal", "orchestration")
        for path in (PROJECT / folder).rglob("*.py")
        if "os.environ" in path.read_text(encoding="utf-8")
    )
    # ...and in nyckeltal-dbt (nyckeltal.children), the process that becomes dbt: it puts
    # the run's variables on top of the environment dagster-dbt gave it.
    assert readers == ["nyckeltal/children.py", "nyckeltal/settings.py"]


def test_resource_points_dbt_at_its_warehouse(tmp_path: Path) -> None:
    """dbt gets the run's values per invocation, in a private file that nyckeltal-dbt adds
    to dbt's environment; this process's environment is never changed."""
    from nyckeltal.children import ENVIRONMENT_FLAG
    from nyckeltal.dbt_runner import dbt_cli

    resource = NyckeltalResource(warehouse=str(tmp_path / "w.duckdb"), as_of="2024-02-29")
    before = dict(os.environ)
    context = resource.run_context()
    with dbt_cli(context) as cli:
        flag, path = cli.global_config_flags[:2]
        assert flag == ENVIRONMENT_FLAG
        variables = json.loads(Path(path).read_text(encoding="utf-8"))
        assert variables["NYCKELTAL_WAREHOUSE"] == str(tmp_path / "w.duckdb")
        assert variables["NYCKELTAL_DBT_PARENT_PID"] == str(os.getpid())
        assert Path(path).stat().st_mode & 0o077 == 0  # private: it may hold a password
        assert dict(os.environ) == before
    assert not Path(path).exists()
    assert resource.as_of_date() == dt.date(2024, 2, 29)
    assert context.as_of == dt.date(2024, 2, 29)
    assert resource.dbt_vars() == {"as_of_date": "2024-02-29"}
    assert NyckeltalResource(warehouse="x").dbt_vars() == {}


def test_manifest_is_stale_when_missing_or_older_than_a_model(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    model = tmp_path / "models" / "a.sql"
    model.write_text("select 1")
    (tmp_path / "dbt_project.yml").write_text("name: x")
    manifest = tmp_path / "target" / "manifest.json"
    assert manifest_is_stale(manifest, tmp_path)
    manifest.parent.mkdir()
    manifest.write_text("{}")
    now = manifest.stat().st_mtime
    for path in (model, model.parent, tmp_path / "dbt_project.yml"):
        os.utime(path, (now - 60, now - 60))
    assert not manifest_is_stale(manifest, tmp_path)
    os.utime(model, (now + 60, now + 60))
    assert manifest_is_stale(manifest, tmp_path)


def test_manifest_of_another_engine_is_stale(tmp_path: Path) -> None:
    """A manifest parsed for DuckDB is not the graph of a Spark run (DuckDB-only models)."""
    (tmp_path / "models").mkdir()
    manifest = tmp_path / "target" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text('{"metadata": {"dbt_version": "1.11", "adapter_type": "duckdb"}}')
    assert not manifest_is_stale(manifest, tmp_path, "duckdb")
    assert manifest_is_stale(manifest, tmp_path, "spark")
    assert manifest_is_stale(manifest, tmp_path, "postgres")


def test_transient_failures_are_recognised() -> None:
    assert is_transient_failure('IO Error: Could not set lock on file "wh.duckdb"')
    assert is_transient_failure(TimeoutError("slow"))
    assert is_transient_failure(ConnectionResetError("reset"))
    assert not is_transient_failure("Failure in test unique_kpi_scorecard (1 row)")
    assert not is_transient_failure("Binder Error: column amount not found")


# --------------------------------------------------------------------------- windows


def test_dbt_builds_get_the_duckdb_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NYCKELTAL_DUCKDB_MEMORY_LIMIT", "3GiB")
    monkeypatch.setenv("NYCKELTAL_DUCKDB_THREADS", "3")
    monkeypatch.setenv("NYCKELTAL_DUCKDB_TEMP_DIRECTORY", str(tmp_path / "spill"))
    expected = {"memory_limit": "3GiB", "threads": "3", "temp_directory": str(tmp_path / "spill")}
    context = RunContext.build(warehouse=tmp_path / "w.duckdb")
    assert context.duckdb.dbt_settings() == expected
    environment = context.dbt_environment()
    assert json.loads(environment["NYCKELTAL_DBT_DUCKDB_SETTINGS"]) == expected
    monkeypatch.delenv("NYCKELTAL_DUCKDB_TEMP_DIRECTORY")
    assert "temp_directory" not in RunContext.build().duckdb.dbt_settings()  # <warehouse>.tmp


def test_window_environment() -> None:
    from nyckeltal.context import Window

    resource = NyckeltalResource(warehouse="x")
    window = (dt.date(2024, 1, 2), dt.date(2024, 1, 4))
    assert resource.run_context(window).window == Window(*window)
    # The window reaches dbt's macro `partition_window` through dbt's environment, not vars
    # (new vars would make dbt re-parse the project on every daily refresh).
    environment = resource.run_context(window).dbt_environment()
    assert environment["NYCKELTAL_WINDOW_START"] == "2024-01-02"
    assert environment["NYCKELTAL_WINDOW_END"] == "2024-01-04"
    assert resource.dbt_vars() == {}
    # A full build clears a window left in the environment.
    assert resource.run_context().window is None
    environment = resource.run_context().dbt_environment()
    assert (environment["NYCKELTAL_WINDOW_START"], environment["NYCKELTAL_WINDOW_END"]) == ("", "")
    with pytest.raises(ValueError, match="go together"):
        resource.run_context((dt.date(2024, 1, 2), None))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="after"):
        resource.run_context((dt.date(2024, 1, 5), dt.date(2024, 1, 4)))
    # Every day of the window lies within the date horizon (NYCKELTAL_DATE_HORIZON_YEARS).
    with pytest.raises(ValueError, match="outside"):
        resource.run_context((dt.date(1969, 12, 30), dt.date(1970, 1, 2)))


def test_run_config_points_the_run_at_a_warehouse(tmp_path: Path) -> None:
    config = refresh_run_config(tmp_path / "w.duckdb", dt.date(2024, 3, 1))
    assert config["resources"]["nyckeltal"]["config"] == {
        "warehouse": str(tmp_path / "w.duckdb"),
        "as_of": "2024-03-01",
        "show_tool_output": True,
        "full_build": False,
    }
    # `nyckeltal run` without --verbose: one line per stage, no dbt or GX lines.
    quiet = refresh_run_config(tmp_path / "w.duckdb", log_level="CRITICAL")
    assert quiet["resources"]["nyckeltal"]["config"]["show_tool_output"] is False


def test_schedule_tick_refreshes_the_previous_utc_day() -> None:
    stockholm_six = dt.datetime(2024, 3, 5, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert day_for_tick(stockholm_six) == dt.date(2024, 3, 4)
    stockholm_half_past_midnight = dt.datetime(
        2024, 3, 5, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))
    )
    assert day_for_tick(stockholm_half_past_midnight) == dt.date(2024, 3, 3)


def test_a_window_is_one_run_over_a_range_of_daily_partitions() -> None:
    """`nyckeltal run --from/--to` runs the job over a range of the facts' daily partitions,
    the tags a single-run backfill from the UI sets; a full build, the last partition with
    full_build in its run config (every day rebuilt)."""
    from orchestration.defs.dbt import DAILY
    from orchestration.jobs import partition_tags

    assert partition_tags((dt.date(2024, 3, 4), dt.date(2024, 3, 6))) == {
        "dagster/asset_partition_range_start": "2024-03-04",
        "dagster/asset_partition_range_end": "2024-03-06",
    }
    last = DAILY.get_last_partition_key()
    assert partition_tags(None) == {
        "dagster/asset_partition_range_start": last,
        "dagster/asset_partition_range_end": last,
    }
    assert refresh_run_config(full_build=True)["resources"]["nyckeltal"]["config"]["full_build"]
    with pytest.raises(ValueError, match="after"):
        partition_tags((dt.date(2024, 3, 5), dt.date(2024, 3, 4)))
    with pytest.raises(ValueError, match="outside the daily partitions 2020-01-01"):
        partition_tags((dt.date(2019, 12, 31), dt.date(2020, 1, 2)))


# --------------------------------------------------------------------------- checks


def _failure(suite: str, severity: str = "error", table: str | None = None) -> Failure:
    return Failure(
        suite=suite,
        table=table,
        expectation="expect_column_values_to_not_be_null",
        kwargs={"column": "amount"},
        severity=severity,
        failing_count=2,
        checked_count=10,
    )


def _outcome(*failures: Failure) -> ValidationOutcome:
    suite = SuiteResult(suite="sources", table=None, kind="rows", failures=list(failures))
    return ValidationOutcome("sources", [suite], data_docs_path=None, run_id="test")


def test_raw_asset_keys_match_the_dbt_sources() -> None:
    key = AssetKey(["raw_billing", "invoices"])
    assert table_of(key).key == "billing.invoices"
    assert raw_asset_key(table_of(key)) == key


def test_failures_are_attributed_to_the_tables_their_suite_names() -> None:
    invoices = _failure("raw_billing__invoices.rows")
    ad_spend = _failure("marketing.ad_spend", severity="warn")
    cross = _failure("references")  # names no table: blocks every table checked
    assigned = failures_by_target(
        [invoices, ad_spend, cross], ["billing.invoices", "marketing.ad_spend", "crm.leads"]
    )
    assert assigned["billing.invoices"] == [invoices, cross]
    assert assigned["marketing.ad_spend"] == [ad_spend, cross]
    assert assigned["crm.leads"] == [cross]
    assert failure_is_error(invoices) and not failure_is_error(ad_spend)
    # The failure's table counts too, and a table's name must match whole.
    web = _failure("rows", table="marketing.web_events")
    assigned = failures_by_target([web], ["marketing.web_events", "billing.invoices"])
    assert assigned == {"marketing.web_events": [web], "billing.invoices": []}


def test_outcome_results_block_on_errors_and_warn_on_warnings() -> None:
    outcome = _outcome(_failure("billing.invoices"), _failure("marketing.ad_spend", "warn"))
    targets = {
        "billing.invoices": AssetKey(["raw_billing", "invoices"]),
        "marketing.ad_spend": AssetKey(["raw_marketing", "ad_spend"]),
        "crm.leads": AssetKey(["raw_crm", "leads"]),
    }
    results = {r.asset_key.path[-1]: r for r in outcome_results(outcome, targets)}
    assert not results["invoices"].passed
    assert results["invoices"].severity == AssetCheckSeverity.ERROR
    assert not results["ad_spend"].passed
    assert results["ad_spend"].severity == AssetCheckSeverity.WARN
    assert results["leads"].passed


# --------------------------------------------------------------------------- alerts


def test_alert_when_a_kpi_goes_off_track() -> None:
    rows = [
        _row("2024-01-01", 1.5, "on_track", None),
        _row("2024-02-01", 1.6, "off_track", 1.5),  # +6.7 %: only the status alerts
    ]
    (alert,) = alerts.evaluate_alerts(rows)
    assert alert.reasons == (alerts.BECAME_OFF_TRACK,)
    assert alert.previous_status == "on_track"
    assert alert.period_start == "2024-02-01"
    assert "off track (was on_track" in alert.message()


def test_no_alert_while_it_stays_off_track_or_moves_little() -> None:
    rows = [
        _row("2024-01-01", 5.0, "off_track", None),
        _row("2024-02-01", 5.5, "off_track", 5.0),
    ]
    assert alerts.evaluate_alerts(rows) == []


def test_alert_on_a_large_move_against_previous_value() -> None:
    rows = [
        _row("2024-01-01", 1.0, "on_track", None),
        _row("2024-02-01", 1.3, "on_track", 1.0),  # +30 % > 25 %
    ]
    (alert,) = alerts.evaluate_alerts(rows)
    assert alert.reasons == (alerts.MOVED_MORE_THAN_SHARE,)
    assert alert.change_share == pytest.approx(0.3)
    assert "+30.0%" in alert.message()
    assert alerts.evaluate_alerts(rows, change_share_threshold=0.5) == []


def test_change_share_edge_cases() -> None:
    assert alerts.change_share(None, 1.0) is None
    assert alerts.change_share(1.0, None) is None
    assert alerts.change_share(0.0, 0.0) == 0.0
    assert math.isinf(alerts.change_share(3.0, 0.0))
    assert alerts.change_share(-1.5, -1.0) == pytest.approx(0.5)


def test_latest_complete_period_only_and_no_suppressed_rows() -> None:
    rows = [
        _row("2024-01-01", 1.0, "on_track", None),
        _row("2024-02-01", 1.0, "on_track", 1.0),
        _row("2024-03-01", 9.0, "off_track", 1.0, is_complete_period=False),
        _row("2024-02-01", None, "off_track", None, kpi_code="nps", is_suppressed=True),
    ]
    assert alerts.evaluate_alerts(rows) == []
    (alert,) = alerts.evaluate_alerts(rows, include_incomplete=True)
    assert alert.reasons == (alerts.BECAME_OFF_TRACK, alerts.MOVED_MORE_THAN_SHARE)


def test_grains_are_kept_apart() -> None:
    rows = [
        _row("2024-01-01", 10.0, "off_track", None, kpi_code="market_share", period_grain="year"),
        _row("2024-04-01", 1.0, "on_track", None, kpi_code="market_share", period_grain="quarter"),
    ]
    (alert,) = alerts.evaluate_alerts(rows)
    assert (alert.period_grain, alert.previous_status) == ("year", None)
    assert "first period" in alert.message()


def test_alert_file_round_trip_and_deduplication(tmp_path: Path) -> None:
    rows = [_row("2024-01-01", 1.0, "on_track", None), _row("2024-02-01", 3.0, "off_track", 1.0)]
    found = alerts.evaluate_alerts(rows)
    path = tmp_path / "deep" / "alerts.jsonl"
    assert alerts.read_alert_ids(path) == set()
    records = alerts.alert_records(found, run_id="r1", emitted_at=dt.datetime(2024, 3, 1))
    alerts.append_alerts(path, records)
    (line,) = path.read_text().splitlines()
    record = json.loads(line)
    assert record["kpi_code"] == "churn_rate"
    assert record["run_id"] == "r1"
    assert record["change_share"] == 2.0
    assert record["reasons"] == ["became_off_track", "moved_more_than_share"]
    assert alerts.unseen(found, alerts.read_alert_ids(path)) == []


def test_alerts_are_posted_to_the_webhook(webhook: Webhook) -> None:
    webhook.status = 204
    rows = [_row("2024-01-01", 1.0, "on_track", None), _row("2024-02-01", 3.0, "off_track", 1.0)]
    records = alerts.alert_records(alerts.evaluate_alerts(rows), run_id="r1")
    assert alerts.post_alerts(webhook.url(), records) == 204
    (body,) = webhook.bodies
    assert body["source"] == "nyckeltal"
    assert body["alerts"][0]["kpi_code"] == "churn_rate"
    assert "churn_rate total/all 2024-02-01" in body["text"]


def test_webhook_must_be_http() -> None:
    with pytest.raises(ValueError):
        alerts.post_alerts("file:///etc/passwd", [])


def test_a_run_whose_steps_were_skipped_is_a_failed_refresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Dagster calls a run whose downstream steps were skipped (a dbt model that did not
    materialize) a success; `nyckeltal run` says it failed, why, and alerts."""
    from types import SimpleNamespace

    from dagster import DagsterEventType

    from orchestration import refresh

    skipped = SimpleNamespace(
        event_type=DagsterEventType.STEP_SKIPPED, step_key="published_marts", step_failure_data=None
    )
    result = SimpleNamespace(success=True, run_id="r1", all_events=[skipped])
    alerted: list[list[str]] = []
    monkeypatch.setattr(refresh, "execute_daily_refresh", lambda *args, **kwargs: result)
    monkeypatch.setattr(
        refresh.alerts, "alert_run_failure", lambda run, reasons, c: alerted.append(reasons)
    )
    assert refresh.run_daily_refresh(RunContext.build(warehouse=tmp_path / "w.duckdb")) is False
    expected = "step published_marts was skipped: an asset it needs was not materialized"
    assert alerted == [[expected]]
    assert expected in capsys.readouterr().err
    result.all_events = []
    assert refresh.run_daily_refresh(RunContext.build(warehouse=tmp_path / "w.duckdb")) is True


# --------------------------------------------------------------------------- dbt profiles


def test_a_users_dbt_profiles_dir_is_used_when_set(
    tmp_path: Path, clean_environment: pytest.MonkeyPatch
) -> None:
    from nyckeltal.context import RunContextError
    from nyckeltal.dbt_runner import dbt_project, dbt_resource

    clean_environment.delenv("DBT_PROFILES_DIR", raising=False)
    assert RunContext.build().dbt_profiles_dir == PROJECT  # the repository's profiles.yml
    (tmp_path / "profiles.yml").write_text("nyckeltal: {target: dev, outputs: {}}\n")
    clean_environment.setenv("DBT_PROFILES_DIR", str(tmp_path))
    context = RunContext.build()
    assert context.dbt_profiles_dir == tmp_path
    assert dbt_resource(context).profiles_dir == str(tmp_path)
    assert Path(dbt_project(context).profiles_dir) == tmp_path
    clean_environment.setenv("DBT_PROFILES_DIR", str(tmp_path / "missing"))
    with pytest.raises(RunContextError, match="DBT_PROFILES_DIR=.*missing has no profiles.yml"):
        RunContext.build()


@pytest.mark.dbt
def test_dbt_reads_the_users_profiles_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from nyckeltal.dbt_runner import run_dbt

    (tmp_path / "profiles.yml").write_text(
        "nyckeltal: {target: mine, outputs: {mine: {type: duckdb, path: mine.duckdb}}}\n"
    )
    monkeypatch.setenv("DBT_PROFILES_DIR", str(tmp_path))
    context = RunContext.build(warehouse=tmp_path / "w.duckdb", dbt_target_path=tmp_path / "t")
    run_dbt(["debug", "--config-dir"], context)
    assert str(tmp_path) in capsys.readouterr().out
