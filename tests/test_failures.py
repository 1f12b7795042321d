"""Full disks and damaged files: named in one line, never retried; CSV cells never formulas.

The classifier (nyckeltal.failures), the retry rule of the daily job's steps
(orchestration.resources.retry_only_transient) on a small job, dbt's failure, and the
commands on truncated warehouse and published files.
"""

from __future__ import annotations

import csv
import errno
import io
import os
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
from dagster import (
    DagsterEventType,
    Definitions,
    ExecuteInProcessResult,
    RetryPolicy,
    asset,
    define_asset_job,
)
from full_disk import fill, mounted_full_disk
from run_folders import runs_write_under

from nyckeltal import failures
from nyckeltal.cli import main
from nyckeltal.context import RunContext
from nyckeltal.scorecard import COLUMNS

FIXTURES = Path(__file__).parent / "fixtures"
READ_PAST_END = (
    'IO Error: Could not read enough bytes from file "/srv/wh.duckdb": attempted to read '
    "262144 bytes from location 6828032"
)
DAMAGED = (
    "/srv/wh.duckdb is damaged (Could not read enough bytes: attempted to read 262144 bytes "
    "from location 6828032): restore it or reload with `nyckeltal load`"
)


def _enospc(path: str) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)


def _truncate(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    return line


# --------------------------------------------------------------------------- the classifier


def test_a_full_disk_is_named_whatever_reports_it() -> None:
    assert failures.explain(_enospc("/srv/wh.duckdb.wal")) == (
        "the disk holding /srv/wh.duckdb.wal is full (No space left on device)"
    )
    quota = OSError(errno.EDQUOT, os.strerror(errno.EDQUOT), "/home/a/alerts.jsonl")
    assert failures.explain(quota) == (
        "the disk holding /home/a/alerts.jsonl is full (Disk quota exceeded)"
    )
    dbt_log = (
        "Runtime Error in model kpi_scorecard\n  IO Error: Could not write file "
        '"/srv/wh.duckdb.wal": No space left on device\n  ERROR in 0.20s'
    )
    assert failures.explain(dbt_log) == (
        "the disk holding /srv/wh.duckdb.wal is full (No space left on device)"
    )
    wrapped = RuntimeError("publishing failed")
    wrapped.__cause__ = _enospc("/srv/p.duckdb")
    assert failures.explain(wrapped, Path("/elsewhere")) == (
        "the disk holding /srv/p.duckdb is full (No space left on device)"
    )
    assert not failures.is_transient(dbt_log)


def test_a_damaged_duckdb_file_is_named_with_duckdbs_reason_and_a_remedy() -> None:
    assert failures.explain(duckdb.IOException(READ_PAST_END)) == DAMAGED
    invalid = (
        'IO Error: The file "/srv/p.duckdb" exists, but it is not a valid DuckDB database file!'
    )
    assert failures.explain(invalid, remedies={Path("/srv/p.duckdb"): failures.REPUBLISH}) == (
        "/srv/p.duckdb is damaged (not a valid DuckDB database file): "
        "publish it again with `nyckeltal run`"
    )
    # "IO Error" alone used to mean "retry": a damaged file is not transient, a lock is.
    assert not failures.is_transient(READ_PAST_END)
    assert failures.is_transient('IO Error: Could not set lock on file "/srv/wh.duckdb"')
    assert failures.explain(ValueError("bad data")) is None


# --------------------------------------------------------------------------- retries


def _run_step(error: Exception) -> tuple[int, ExecuteInProcessResult]:
    """Attempts of a one-step job (two retries allowed) whose step raises `error`."""
    from orchestration.resources import retry_only_transient

    attempts = []

    @asset
    def step() -> None:
        attempts.append(1)
        with retry_only_transient(Path("/srv/wh.duckdb")):
            raise error

    job = define_asset_job("job", [step], op_retry_policy=RetryPolicy(max_retries=2))
    definitions = Definitions(assets=[step], jobs=[job])
    result = definitions.resolve_job_def("job").execute_in_process(raise_on_error=False)
    return len(attempts), result


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (_enospc("/srv/wh.duckdb.wal"), "the disk holding /srv/wh.duckdb.wal is full"),
        (duckdb.IOException(READ_PAST_END), DAMAGED),
        (ValueError("amount is not a number"), "ValueError: amount is not a number"),
    ],
)
def test_a_deterministic_failure_fails_the_step_at_once_with_its_cause(
    error: Exception, reason: str
) -> None:
    from orchestration.run_failures import failure_summary

    attempts, result = _run_step(error)
    assert attempts == 1
    assert not result.success
    (line,) = failure_summary(result)
    assert line.startswith(f"step step failed: {reason}")


def test_a_lock_held_by_another_process_is_still_retried() -> None:
    from orchestration.run_failures import failure_summary

    lock = duckdb.IOException('IO Error: Could not set lock on file "/srv/wh.duckdb"')
    attempts, result = _run_step(lock)
    assert attempts == 3
    (line,) = failure_summary(result)
    assert "Could not set lock" in line


def test_dbt_failing_on_a_full_disk_is_not_retried_and_named() -> None:
    from orchestration.defs.dbt import _dbt_failure

    error = Exception(
        "The dbt CLI process failed.\n\nErrors parsed from dbt logs:\n"
        "Runtime Error in model int_web_events_daily\n  IO Error: Could not write file "
        '"/srv/wh.duckdb.wal": No space left on device\n\nERROR in 0.20s'
    )
    invocation = SimpleNamespace(get_error=lambda: error, target_path=Path("/srv/target"))
    failure = _dbt_failure(invocation, Path("/srv/wh.duckdb"))  # type: ignore[arg-type]
    assert failure.allow_retries is False
    assert failure.description == (
        "the disk holding /srv/wh.duckdb.wal is full (No space left on device)"
    )


# --------------------------------------------------------------------------- commands


def test_a_command_on_a_full_disk_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real full disk (a tmpfs the test mounts), else ENOSPC injected where files are
    written."""
    import nyckeltal.demo

    with mounted_full_disk(tmp_path / "disk") as disk:
        out = (disk or tmp_path) / "dataset"
        if disk is None:

            def disk_full(*args: object, **kwargs: object) -> list[Path]:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(out / "a.csv"))

            monkeypatch.setattr(nyckeltal.demo, "generate", disk_full)
        else:
            fill(disk)
        assert main(["generate", "--out", str(out)]) == 1
    line = _one_line_error(capsys)
    assert line.startswith(f"nyckeltal generate: error: the disk holding {out}")
    assert line.endswith(" is full (No space left on device)")


def _published(path: Path, segment_values: list[str]) -> Path:
    """A published marts file whose scorecard has one row per segment value."""
    names = ", ".join(COLUMNS)
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema marts")
        connection.execute(
            "create table marts.kpi_scorecard as select 'mrr' as kpi_code, "
            "date '2024-01-01' as period_start, date '2024-01-31' as period_end, "
            "'month' as period_grain, 'product' as segment_type, '' as segment_value, "
            "-5.0::double as numerator, 2.0::double as denominator, -2.5::double as value, "
            "'eur' as unit, null::double as target_value, 'no_target' as status, "
            "null::double as previous_value, null::varchar as previous_status, "
            "true as is_complete_period, false as is_suppressed limit 0"
        )
        for value in segment_values:
            connection.execute(
                f"insert into marts.kpi_scorecard ({names}) select 'mrr', date '2024-01-01', "
                "date '2024-01-31', 'month', 'product', ?, -5.0, 2.0, -2.5, 'eur', null, "
                "'no_target', null, null, true, false",
                [value],
            )
    return path


def test_scorecard_csv_neutralises_formulas_and_keeps_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    attacks = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "Pro plan"]
    published = _published(tmp_path / "published.duckdb", attacks)
    assert main(["scorecard", "--format", "csv", "--published", str(published)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out, newline="")))
    assert sorted(row["segment_value"] for row in rows) == sorted(
        ["'=cmd|' /C calc'!A0", "'+1+1", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", "Pro plan"]
    )
    assert {(row["numerator"], row["value"], row["kpi_code"]) for row in rows} == {
        ("-5.0", "-2.5", "mrr")
    }
    # The published file itself keeps the value as it is.
    with duckdb.connect(str(published), read_only=True) as connection:
        stored = connection.execute("select segment_value from marts.kpi_scorecard").fetchall()
    assert ("=cmd|' /C calc'!A0",) in stored


@pytest.mark.parametrize("command", ["scorecard", "report"])
def test_a_damaged_published_file_is_one_line_error(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    published = _published(tmp_path / "published.duckdb", ["Pro plan"] * 200)
    _truncate(published)
    out = ["--out", str(tmp_path / "report")] if command == "report" else []
    assert main([command, "--published", str(published), *out]) == 1
    line = _one_line_error(capsys)
    assert line.startswith(f"nyckeltal {command}: error: {published} is damaged (")
    assert line.endswith("publish it again with `nyckeltal run`")


@pytest.fixture
def damaged_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from nyckeltal.loader import load_directory

    runs_write_under(monkeypatch, tmp_path, alerts=True)
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "false")
    warehouse = tmp_path / "wh.duckdb"
    load_directory(
        FIXTURES / "minimal", RunContext.build(warehouse=warehouse), progress=lambda line: None
    )
    _truncate(warehouse)
    return warehouse


def test_validate_on_a_damaged_warehouse_is_one_line_error(
    damaged_warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--warehouse", str(damaged_warehouse)]) == 1
    line = _one_line_error(capsys)
    assert line.startswith(f"nyckeltal validate: error: {damaged_warehouse} is damaged (")
    assert line.endswith("restore it or reload with `nyckeltal load`")


def test_load_into_a_damaged_warehouse_says_to_move_it_aside(
    damaged_warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["load", str(FIXTURES / "minimal"), "--warehouse", str(damaged_warehouse)]) == 1
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith(f"nyckeltal load: error: {damaged_warehouse} is damaged (")
    assert line.endswith("move it aside (or restore a backup) and load again into a new file")


@pytest.mark.dbt
def test_run_on_a_damaged_warehouse_fails_at_once_naming_it(
    damaged_warehouse: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration import refresh

    results: list[ExecuteInProcessResult] = []
    execute = refresh.execute_daily_refresh

    def recorded(*args, **kwargs) -> ExecuteInProcessResult:
        results.append(execute(*args, **kwargs))
        return results[-1]

    monkeypatch.setattr(refresh, "execute_daily_refresh", recorded)
    assert main(["run", "--warehouse", str(damaged_warehouse)]) == 1
    (result,) = results
    retried = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_UP_FOR_RETRY]
    assert retried == []
    err = capsys.readouterr().err
    assert "Traceback" not in err and "max_retries" not in err
    reasons = [line.strip() for line in err.splitlines() if line.strip().startswith("step ")]
    assert reasons and all(f"failed: {damaged_warehouse} is damaged (" in r for r in reasons)
    # the first step that reads the warehouse names it: observing the raw tables' load stamps
    assert "step observe_raw_tables failed" in "\n".join(reasons)


def test_an_alert_digest_on_a_full_disk_fails_the_step_at_once(tmp_path: Path) -> None:
    from dagster import AssetKey

    from orchestration.defs.alerts import build_kpi_alerts_asset
    from orchestration.defs.publish import build_publish_asset
    from orchestration.resources import AlertsResource, NyckeltalResource
    from orchestration.run_failures import failure_summary

    assets = [build_publish_asset([]), build_kpi_alerts_asset()]
    job = define_asset_job("job", assets, op_retry_policy=RetryPolicy(max_retries=2))
    resources = {
        "nyckeltal": NyckeltalResource(warehouse=str(tmp_path / "wh.duckdb")),
        "alerts": AlertsResource(alerts_file="/dev/full"),  # every write: ENOSPC
    }
    definitions = Definitions(assets=assets, jobs=[job], resources=resources)
    result = definitions.resolve_job_def("job").execute_in_process(
        asset_selection=[AssetKey("kpi_alerts")], raise_on_error=False
    )
    events = {event.event_type for event in result.all_events}
    assert DagsterEventType.STEP_UP_FOR_RETRY not in events
    assert failure_summary(result) == [
        "step kpi_alerts failed: the disk holding /dev/full is full (No space left on device)"
    ]
