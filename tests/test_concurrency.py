"""One writer at a time on a warehouse, and child processes that end with their parent.

The lock is held from a tiny subprocess (another PID, as a real second command would be);
the kill tests start dbt the way a run does (dagster-dbt's DbtCliResource with
nyckeltal.dbt_runner's executable) on a `dbt parse` long enough to be killed mid-way.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from dagster import (
    DagsterInstance,
    Definitions,
    RetryPolicy,
    asset,
    define_asset_job,
    in_process_executor,
    materialize,
)

from nyckeltal import children, locking
from nyckeltal.cli import main
from orchestration.resources import NyckeltalResource, stop_when_interrupted

PROJECT = Path(__file__).resolve().parent.parent
TIMEOUT = 240  # seconds: this machine may be slow


def _holder_script(warehouse: Path, command: str) -> str:
    return textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from nyckeltal.locking import hold
        with hold(Path({str(warehouse)!r}), {command!r}, 0):
            print("held", flush=True)
            sys.stdin.readline()
        print("released", flush=True)
        """
    )


class LockHolder:
    """A subprocess holding a warehouse's lock until `release()` (or its death)."""

    def __init__(self, warehouse: Path, command: str = "run") -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _holder_script(warehouse, command)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=PROJECT,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "held"

    @property
    def pid(self) -> int:
        return self.process.pid

    def release(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.write("\n")
            self.process.stdin.flush()
            self.process.wait(timeout=TIMEOUT)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=TIMEOUT)


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """A warehouse with a raw table, and a published file, whose contents tests compare."""
    path = tmp_path / "warehouse" / "nyckeltal.duckdb"
    path.parent.mkdir()
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema raw_survey")
        connection.execute("create table raw_survey.nps_responses as select 1 as answers")
    published = path.with_name("nyckeltal_published.duckdb")
    with duckdb.connect(str(published)) as connection:
        connection.execute("create schema marts")
        connection.execute(
            "create table marts.publication as select date '2026-03-31' as as_of_date"
        )
    return path


@pytest.fixture
def holder(warehouse: Path) -> Iterator[LockHolder]:
    holding = LockHolder(warehouse)
    yield holding
    holding.release()


def _as_of(warehouse: Path) -> dt.date:
    published = warehouse.with_name("nyckeltal_published.duckdb")
    with duckdb.connect(str(published), read_only=True) as connection:
        return connection.execute("select as_of_date from marts.publication").fetchone()[0]


def test_a_load_while_a_run_holds_the_lock_is_refused_with_who_and_since_when(
    warehouse: Path,
    holder: LockHolder,
    minimal_dataset: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = warehouse.read_bytes()
    code = main(["load", str(minimal_dataset), "--warehouse", str(warehouse), "--wait", "0"])
    assert code == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("nyckeltal load: error: a refresh started at ")
    assert f" by PID {holder.pid} is running on {warehouse}" in error
    assert len(error.splitlines()) == 1
    clock = dt.time.fromisoformat(error.split(" started at ")[1].split(" by PID")[0])
    now = dt.datetime.now()
    assert clock in {
        (now - dt.timedelta(minutes=m)).time().replace(second=0, microsecond=0) for m in range(3)
    }
    # Nothing was loaded, nothing published.
    assert warehouse.read_bytes() == before
    assert _as_of(warehouse) == dt.date(2026, 3, 31)


@pytest.mark.parametrize("command", ["demo", "run", "validate"])
def test_every_writer_takes_the_lock(
    warehouse: Path, holder: LockHolder, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--warehouse", str(warehouse), "--wait", "0"]) == 1
    error = capsys.readouterr().err
    assert f"nyckeltal {command}: error: a refresh started at " in error
    assert f"by PID {holder.pid}" in error


def test_the_lock_wait_setting_applies_without_the_option(
    warehouse: Path,
    holder: LockHolder,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NYCKELTAL_LOCK_WAIT_SECONDS", "0.5")
    started = time.monotonic()
    assert main(["validate", "--warehouse", str(warehouse)]) == 1
    assert time.monotonic() - started >= 0.5
    error = capsys.readouterr().err
    assert error.startswith("waiting up to 0.5 s: a refresh started at ")
    assert f"by PID {holder.pid} is running on {warehouse} (waited 0.5 s)" in error


def test_a_second_writer_waits_for_the_first_then_runs(warehouse: Path) -> None:
    first = LockHolder(warehouse, "load")
    waiting = subprocess.Popen(
        [sys.executable, "-c", _holder_script(warehouse, "run").replace(", 0)", ", 60)")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROJECT,
    )
    time.sleep(1)
    assert waiting.poll() is None  # still waiting for the first
    record = json.loads(locking.holder_path(warehouse).read_text(encoding="utf-8"))
    assert (record["pid"], record["command"]) == (first.pid, "load")
    first.release()
    assert waiting.stdout is not None
    assert waiting.stdout.readline().strip() == "held"
    record = json.loads(locking.holder_path(warehouse).read_text(encoding="utf-8"))
    assert (record["pid"], record["command"]) == (waiting.pid, "run")
    waiting.communicate("\n", timeout=TIMEOUT)
    assert waiting.returncode == 0
    assert not locking.holder_path(warehouse).exists()


def test_the_lock_of_a_killed_holder_and_its_stale_record_do_not_block(warehouse: Path) -> None:
    dead = LockHolder(warehouse)
    dead.kill()  # the kernel released the lock; the holder record stays behind
    stale = json.loads(locking.holder_path(warehouse).read_text(encoding="utf-8"))
    assert stale["pid"] == dead.pid
    assert locking.read_holder(warehouse) is None  # a dead PID names no holder
    assert locking.busy_message(warehouse) == f"another process is running on {warehouse}"
    with locking.hold(warehouse, "load", 0):
        record = json.loads(locking.holder_path(warehouse).read_text(encoding="utf-8"))
        assert (record["pid"], record["command"]) == (os.getpid(), "load")
    assert not locking.holder_path(warehouse).exists()


def test_a_holder_record_names_the_activity_and_the_day_when_not_today() -> None:
    now = dt.datetime(2026, 6, 2, 9, 30, tzinfo=dt.UTC)
    host = socket.gethostname()
    holder = locking.Holder(4242, "load", dt.datetime(2026, 6, 2, 6, 5, tzinfo=dt.UTC), host)
    assert holder.describe(now) == "a load started at 06:05 by PID 4242"
    holder = locking.Holder(
        7, "dagster run ab12", dt.datetime(2026, 6, 1, 23, 0, tzinfo=dt.UTC), "b"
    )
    assert holder.describe(now) == "a refresh started at 2026-06-01 23:00 by PID 7 on host b"


def test_the_process_holding_the_lock_may_take_it_again(warehouse: Path) -> None:
    with locking.hold(warehouse, "run", 0), locking.hold(warehouse, "dagster run x", 0):
        record = json.loads(locking.holder_path(warehouse).read_text(encoding="utf-8"))
        assert record["command"] == "run"  # the outer holder is named
    assert not locking.holder_path(warehouse).exists()
    with locking.hold(warehouse, "load", 0):  # released for good
        pass


def _messages(error: object) -> str:
    """An error's message and those of its causes (Dagster wraps a resource's error)."""
    messages = []
    while error is not None:
        messages.append(str(getattr(error, "message", "")))
        error = getattr(error, "cause", None)
    return " ".join(messages)


def test_a_dagster_run_holds_the_lock_from_before_its_first_step(
    warehouse: Path, holder: LockHolder
) -> None:
    """A second run (or the schedule's) is refused before it validates anything: it never
    reaches GX's result store or dbt while the first holds the warehouse."""
    steps: list[str] = []

    @asset
    def source_checks(nyckeltal: NyckeltalResource) -> None:
        steps.append("validated")

    resource = NyckeltalResource(warehouse=str(warehouse), lock_wait_seconds=0)
    result = materialize(
        [source_checks],
        resources={"nyckeltal": resource},
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    assert steps == []
    failures = " ".join(
        _messages(event.event_specific_data.error)
        for event in result.all_events
        if event.is_failure and getattr(event.event_specific_data, "error", None)
    )
    assert "a refresh started at " in failures
    assert f"by PID {holder.pid} is running on {warehouse}" in failures
    holder.release()
    result = materialize(
        [source_checks], resources={"nyckeltal": resource}, instance=DagsterInstance.ephemeral()
    )
    assert result.success and steps == ["validated"]


def test_the_publisher_lock_serialises_publishers(tmp_path: Path) -> None:
    from nyckeltal.publish import _publisher_lock

    published = tmp_path / "published.duckdb"
    with _publisher_lock(published):
        other = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from filelock import FileLock; "
                f"FileLock({str(tmp_path / '.published.duckdb.lock')!r}).acquire(timeout=0.5)",
            ],
            capture_output=True,
            text=True,
            cwd=PROJECT,
            timeout=TIMEOUT,
        )
    assert other.returncode != 0 and "Timeout" in other.stderr
    with _publisher_lock(published):  # released
        pass


# --------------------------------------------------------------------------- child processes


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line), from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":
            table[int(entry.name)] = (int(fields[1]), command)
    return table


def _dbt_children(parent: int) -> list[int]:
    return [
        pid
        for pid, (ppid, command) in _processes().items()
        if ppid == parent and "dbt" in command and " parse" in command
    ]


def _alive(pid: int) -> bool:
    return pid in _processes()


DBT_PARENT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from nyckeltal.context import RunContext
    from nyckeltal.dbt_runner import dbt_cli
    from orchestration.resources import stop_when_interrupted

    warehouse, target = sys.argv[1], sys.argv[2]
    with dbt_cli(RunContext.build(warehouse=warehouse)) as cli:
        invocation = cli.cli(["parse", "--no-partial-parse"], target_path=Path(target))
        print("started", flush=True)
        with stop_when_interrupted():
            invocation.wait()
    """
)


@pytest.fixture
def dbt_parent(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A process that runs dbt the way a refresh does, caught while dbt is parsing."""
    process = subprocess.Popen(
        [sys.executable, "-c", DBT_PARENT, str(tmp_path / "w.duckdb"), str(tmp_path / "target")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=PROJECT,
    )
    yield process
    if process.poll() is None:
        process.kill()
        process.wait()


def _wait_for_dbt(parent: subprocess.Popen[str]) -> int:
    assert parent.stdout is not None
    assert parent.stdout.readline().strip() == "started"
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        children = _dbt_children(parent.pid)
        if children:
            time.sleep(2)  # well into dbt's start-up
            return children[0]
        time.sleep(0.1)
    raise AssertionError("dbt did not start")


def _ends(pid: int, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_killing_the_parent_with_sigkill_ends_dbt(dbt_parent: subprocess.Popen[str]) -> None:
    dbt = _wait_for_dbt(dbt_parent)
    assert Path(sys.executable).with_name("nyckeltal-dbt").name in _processes()[dbt][1]
    dbt_parent.kill()
    dbt_parent.wait(timeout=TIMEOUT)
    assert _ends(dbt), "dbt outlived its killed parent"


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_stopping_the_parent_ends_dbt(
    dbt_parent: subprocess.Popen[str], stop: signal.Signals
) -> None:
    dbt = _wait_for_dbt(dbt_parent)
    dbt_parent.send_signal(stop)
    dbt_parent.wait(timeout=TIMEOUT)
    assert _ends(dbt), f"dbt outlived its parent stopped by {stop.name}"


def test_dbt_runs_through_the_binding_launcher() -> None:
    from nyckeltal.dbt_runner import dbt_executable

    assert Path(dbt_executable()).name == "nyckeltal-dbt"
    assert shutil.which(dbt_executable())


# --------------------------------------------------------------------------- stopping a run


@asset
def interrupted_step() -> None:
    with stop_when_interrupted():
        os.kill(os.getpid(), signal.SIGTERM)  # `kill PID` of the run, mid-step
        time.sleep(30)


def test_a_stopped_step_is_not_retried_by_the_retry_policy() -> None:
    """Dagster retries an interrupted step under the job's retry policy: `kill` of a
    refresh used to start dbt again ten seconds later."""
    job = define_asset_job(
        "stopped",
        executor_def=in_process_executor,
        op_retry_policy=RetryPolicy(max_retries=3, delay=0),
    )
    definitions = Definitions(assets=[interrupted_step], jobs=[job])
    started = time.monotonic()
    with children.interrupt_on_sigterm():
        result = definitions.resolve_job_def("stopped").execute_in_process(
            instance=DagsterInstance.ephemeral(), raise_on_error=False
        )
    assert time.monotonic() - started < 25
    assert not result.success
    kinds = [event.event_type_value for event in result.all_events]
    assert "STEP_UP_FOR_RETRY" not in kinds
    assert kinds.count("STEP_FAILURE") == 1
    failure = next(event for event in result.all_events if event.is_step_failure)
    assert "the run was asked to stop" in _messages(failure.event_specific_data.error)


def test_sigterm_interrupts_like_ctrl_c_within_the_block() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt), children.interrupt_on_sigterm():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)
    assert signal.getsignal(signal.SIGTERM) == before
