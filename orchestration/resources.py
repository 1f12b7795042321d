"""Resources, retries and the dbt manifest of the code location.

Every setting comes from nyckeltal.settings (environment variables NYCKELTAL_*, or `.env`),
whose defaults run the embedded DuckDB demo, so `dagster dev` works from a fresh clone with
nothing set. A run's `NyckeltalResource` (its config) is an edge: it builds the run's
`RunContext` (nyckeltal.context), which the steps pass down.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import re
from collections.abc import Generator, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from dagster import (
    Backoff,
    ConfigurableResource,
    DagsterEvent,
    DagsterExecutionInterruptedError,
    Failure,
    InitResourceContext,
    Jitter,
    RetryPolicy,
    RetryRequested,
)
from dagster_dbt import DbtCliResource, DbtProject
from filelock import FileLock

from nyckeltal import failures, locking
from nyckeltal.context import RunContext
from nyckeltal.dbt_runner import dbt_cli, dbt_resource
from nyckeltal.settings import Settings

# The manifest's metadata (dbt version, adapter type, ...) comes first in the file.
MANIFEST_HEAD_BYTES = 4096
# Files whose change makes the prepared manifest stale (relative to the project).
_MANIFEST_INPUT_DIRS = ("models", "macros", "seeds", "snapshots", "analyses", "tests/dbt")
_MANIFEST_INPUT_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml")
_MANIFEST_IGNORED_DIRS = ("seeds/demo",)


# --------------------------------------------------------------------------- retries


def is_transient_failure(error: BaseException | str) -> bool:
    """True when an error (or a dbt log excerpt) looks like a failure a retry can fix (a
    locked warehouse, a network hiccup); never a full disk or a damaged file."""
    return failures.is_transient(error)


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"


@contextmanager
def retry_only_transient(
    where: Path | None = None, remedies: Mapping[Path, str] | None = None
) -> Iterator[None]:
    """Let the job's retry policy retry a step only for a transient failure: any other
    error becomes a `Failure` that is not retried, whose description is the one line of
    nyckeltal.failures.explain (a full disk, a damaged DuckDB file; `where` names the file
    when the error does not) or the error's first line. A `Failure` passes unchanged."""
    try:
        yield
    except (Failure, RetryRequested):
        raise
    except Exception as error:
        if is_transient_failure(error):
            raise
        message = failures.explain(error, where, remedies) or _first_line(error)
        raise Failure(description=message, allow_retries=False) from error


def step_failure_reason(event: DagsterEvent) -> str:
    """Why a step failed, in one line: its `Failure`'s description, else the message of the
    user's error under Dagster's wrappers (after retries: the last attempt's error)."""
    data = event.step_failure_data
    if data is not None and data.user_failure_data and data.user_failure_data.description:
        text = data.user_failure_data.description
    else:
        error = data.error if data is not None else None
        while error is not None and error.cause is not None:
            error = error.cause  # the user's exception, not Dagster's wrapper
        text = error.message if error is not None else "failed"
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


def retry_policy(config: Settings) -> RetryPolicy:
    """Retry a failed step `retries` times, waiting delay, 2 x delay, 4 x delay, ... (+- jitter)."""
    return RetryPolicy(
        max_retries=config.retries,
        delay=config.retry_delay_seconds,
        backoff=Backoff.EXPONENTIAL,
        jitter=Jitter.PLUS_MINUS,
    )


@contextmanager
def stop_when_interrupted() -> Iterator[None]:
    """An interrupt of a step (Ctrl-C, SIGTERM, a run terminated in the UI) fails it for good.
    Dagster retries an interrupted step under the job's retry policy (suited to a worker that
    will resume), which made a stopped refresh start dbt again ten seconds later."""
    try:
        yield
    except (KeyboardInterrupt, DagsterExecutionInterruptedError) as interrupt:
        raise Failure("interrupted: the run was asked to stop", allow_retries=False) from interrupt


# --------------------------------------------------------------------------- dbt manifest


def _newest_input_mtime(project_dir: Path) -> float:
    newest = 0.0
    ignored = {(project_dir / name).resolve() for name in _MANIFEST_IGNORED_DIRS}
    for name in _MANIFEST_INPUT_FILES:
        path = project_dir / name
        if path.exists():
            newest = max(newest, path.stat().st_mtime)
    for name in _MANIFEST_INPUT_DIRS:
        root = project_dir / name
        if not root.is_dir():
            continue
        for directory, subdirectories, files in os.walk(root):
            current = Path(directory).resolve()
            if current in ignored:
                subdirectories[:] = []
                continue
            # A directory's mtime changes when a file in it is added, removed or renamed.
            newest = max(newest, current.stat().st_mtime)
            for file_name in files:
                newest = max(newest, (current / file_name).stat().st_mtime)
    return newest


def manifest_is_stale(
    manifest_path: Path, project_dir: Path, adapter_type: str | None = None
) -> bool:
    """True when the manifest is missing, older than a model, macro, seed or the config, or
    (with `adapter_type`) parsed for another engine: models enabled on one engine only (the
    DuckDB-only risk bands) make the manifests of two engines different graphs."""
    if not manifest_path.exists():
        return True
    if adapter_type is not None and manifest_adapter_type(manifest_path) != adapter_type:
        return True
    return manifest_path.stat().st_mtime < _newest_input_mtime(project_dir)


def manifest_adapter_type(manifest_path: Path) -> str | None:
    """The engine a manifest was parsed for (its metadata, at the start of the file)."""
    with open(manifest_path, encoding="utf-8", errors="replace") as manifest:
        head = manifest.read(MANIFEST_HEAD_BYTES)
    match = re.search(r'"adapter_type":\s*"([^"]+)"', head)
    return match[1] if match else None


def prepare_manifest(project: DbtProject, context: RunContext) -> Path:
    """Return a manifest that matches the project, running `dbt parse` when needed.

    Under `dagster dev` the project is always re-parsed (dagster-dbt's prepare_if_dev);
    elsewhere (a fresh clone, CI, `nyckeltal run`) only when the manifest is missing, older
    than the files it is parsed from, or parsed for another engine (NYCKELTAL_TARGET).
    """
    if project.preparer.using_dagster_dev() or manifest_is_stale(
        project.manifest_path, project.project_dir, context.engine.name
    ):
        # dagster-dbt's own preparer looks for `dbt` on PATH; ours runs the dbt of this
        # Python environment, also when the virtualenv is not activated.
        _parse_once(project, context)
    return project.manifest_path


def _parse_once(project: DbtProject, context: RunContext, timeout_seconds: float = 60) -> None:
    """Parse the project unless another process does it meanwhile: one parse at a time per
    manifest (a file lock beside it); one that waited for another's parse and finds the
    manifest newer than when it started waiting skips its own."""
    manifest = project.manifest_path
    started = manifest.lstat().st_mtime if manifest.exists() else 0.0
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(manifest.with_suffix(".parse.lock")).acquire(timeout=timeout_seconds):
        if manifest.exists() and manifest.lstat().st_mtime > started:
            return
        _parse(project, context)


def _parse(project: DbtProject, context: RunContext) -> None:
    # The same variables as the runs (the profile holds the warehouse path): a run then keeps
    # dbt's partial parse instead of parsing the project again.
    with dbt_cli(context) as cli:
        cli.cli(["parse", "--quiet"], target_path=project.target_path).wait()


# --------------------------------------------------------------------------- resources


class NyckeltalResource(ConfigurableResource):
    """The warehouse a run works on. Every field can be overridden in a run's config."""

    warehouse: str
    published: str | None = None
    as_of: str | None = None  # YYYY-MM-DD; None: the latest event date in the data
    # Every day, whatever the run's partitions (`nyckeltal run` without --from/--to): the
    # facts are rebuilt in full. Else the run's partition range is the window of days.
    full_build: bool = False
    # dbt's and Great Expectations' own lines on the console (`nyckeltal run --verbose`);
    # the run's log keeps them either way.
    show_tool_output: bool = True
    dbt_target_path: str | None = None
    # How long a run waits for another writer of the warehouse (a load, another run).
    lock_wait_seconds: float = Settings.model_fields["lock_wait_seconds"].default

    @contextmanager
    def yield_for_execution(
        self, context: InitResourceContext
    ) -> Generator[NyckeltalResource, None, None]:
        """A run holds the warehouse's writer lock from before its first step to after its
        last (nyckeltal.locking): its source checks, dbt build, mart checks and publication
        see one state of the raw tables, which no load can change in between."""
        run = f"dagster run {context.run.run_id}" if context.run else "dagster run"
        with locking.hold(
            self.warehouse_path(), run, self.lock_wait_seconds, on_wait=context.log.warning
        ):
            yield self

    def run_context(self, window: tuple[dt.date, dt.date] | None = None) -> RunContext:
        """The run's context (nyckeltal.context), from the settings and this config, over
        `window` (the run's partition range; None: every day): the one place the as-of date
        and the window are validated."""
        return RunContext.build(
            warehouse=self.warehouse,
            published=self.published,
            dbt_target_path=self.dbt_target_path,
            as_of=dt.date.fromisoformat(self.as_of) if self.as_of else None,
            window=window,
        )

    def warehouse_path(self) -> Path:
        return Path(self.warehouse).resolve()

    def published_path(self) -> Path | None:
        return Path(self.published).resolve() if self.published else None

    def as_of_date(self) -> dt.date | None:
        return dt.date.fromisoformat(self.as_of) if self.as_of else None

    def dbt_vars(self) -> dict[str, str]:
        """The dbt vars every build of this run passes (RunContext.dbt_vars). The window
        travels in dbt's environment, not in vars: new vars make dbt re-parse the whole
        project, and a daily refresh has a new window every day."""
        return self.run_context().dbt_vars()

    @contextmanager
    def tool_output(self) -> Iterator[None]:
        """Where dbt's and Great Expectations' console lines go during a step: the console,
        or nowhere (`show_tool_output` false: `nyckeltal run` without --verbose)."""
        if self.show_tool_output:
            yield
            return
        with contextlib.redirect_stdout(io.StringIO()):
            yield

    @contextmanager
    def dbt_cli(
        self, dbt: DbtCliResource, window: tuple[dt.date, dt.date] | None = None
    ) -> Iterator[DbtCliResource]:
        """`dbt` for this run's invocations: dbt runs with the run's warehouse, engine
        settings and `window` of days (the run's partition range; None: every day), set per
        invocation (nyckeltal.dbt_runner.dbt_cli)."""
        with dbt_cli(self.run_context(window), base=dbt) as cli:
            yield cli


class AlertsResource(ConfigurableResource):
    """Where KPI alerts go and what triggers them (see nyckeltal.alerts)."""

    alerts_file: str | None = None  # None: alerts.jsonl beside the run's warehouse
    webhook_url: str | None = None
    apprise_urls: str | None = None  # space/comma separated Apprise URLs
    change_share: float = Settings.model_fields["alert_change_share"].default
    include_incomplete_periods: bool = False
    webhook_timeout_seconds: float = 10.0


def build_resources(context: RunContext) -> dict[str, object]:
    """The resources of the Definitions, from the context of the environment's settings."""
    config = context.settings
    return {
        "dbt": dbt_resource(context),
        "nyckeltal": NyckeltalResource(
            warehouse=str(context.warehouse),
            published=str(config.published) if config.published else None,
            dbt_target_path=str(context.dbt_target_path),
            lock_wait_seconds=config.lock_wait_seconds,
        ),
        "alerts": AlertsResource(
            alerts_file=str(config.alerts_file) if config.alerts_file else None,
            webhook_url=config.alert_webhook_url,
            apprise_urls=config.alert_apprise_urls,
            change_share=config.alert_change_share,
            include_incomplete_periods=config.alert_include_incomplete,
        ),
    }
