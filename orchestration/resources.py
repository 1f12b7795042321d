"""Configuration, resources and the dbt manifest of the code location.

Everything is configured by environment variables whose defaults run the embedded DuckDB
demo, so `dagster dev` works from a fresh clone with nothing set:

- NYCKELTAL_WAREHOUSE: the DuckDB file dbt builds (nyckeltal.settings; default
  warehouse/nyckeltal.duckdb in the project).
- NYCKELTAL_PUBLISHED: the published copy BI tools read (default: chosen by
  nyckeltal.publish, beside the warehouse).
- NYCKELTAL_DBT_TARGET_PATH (else DBT_TARGET_PATH, else <project>/target): where the dbt
  manifest is prepared and where each dbt invocation keeps its artifacts.
- NYCKELTAL_SCHEDULE_CRON / NYCKELTAL_SCHEDULE_TIMEZONE: the daily schedule (06:00
  Europe/Stockholm); NYCKELTAL_SCHEDULE_ENABLED=false leaves it stopped until switched on
  in the UI.
- NYCKELTAL_PARTITIONS_START: first day of the daily partitions of the large facts.
- NYCKELTAL_RETRIES / NYCKELTAL_RETRY_DELAY_SECONDS: retries of a failed step, with
  exponential backoff from that delay.
- NYCKELTAL_ALERTS_FILE / NYCKELTAL_ALERT_WEBHOOK_URL / NYCKELTAL_ALERT_CHANGE_SHARE /
  NYCKELTAL_ALERT_INCLUDE_INCOMPLETE: KPI alerts (see orchestration.alerts).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dagster import Backoff, ConfigurableResource, Jitter, RetryPolicy
from dagster._utils import run_with_concurrent_update_guard
from dagster_dbt import DbtCliResource, DbtProject

from nyckeltal import settings as nyckeltal_settings
from nyckeltal.dbt_runner import dbt_executable

DEFAULT_SCHEDULE_CRON = "0 6 * * *"
DEFAULT_SCHEDULE_TIMEZONE = "Europe/Stockholm"
# The first day of the bundled demo data; set NYCKELTAL_PARTITIONS_START for your own.
DEFAULT_PARTITIONS_START = "2024-09-01"
DEFAULT_RETRIES = 3
DEFAULT_RETRY_DELAY_SECONDS = 10.0
DEFAULT_ALERT_CHANGE_SHARE = 0.25
ALERTS_FILE_NAME = "alerts.jsonl"

# Files whose change makes the prepared manifest stale (relative to the project).
_MANIFEST_INPUT_DIRS = ("models", "macros", "seeds", "snapshots", "analyses", "tests/dbt")
_MANIFEST_INPUT_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml")
_MANIFEST_IGNORED_DIRS = ("seeds/demo",)


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class OrchestrationSettings:
    """What the environment configures; `from_environment()` applies the defaults."""

    warehouse: Path
    published: Path | None
    dbt_target_path: Path
    schedule_cron: str
    schedule_timezone: str
    schedule_enabled: bool
    partitions_start: dt.date
    retries: int
    retry_delay_seconds: float
    alerts_file: Path | None  # None: alerts.jsonl beside the run's warehouse
    alert_webhook_url: str | None
    alert_change_share: float
    alert_include_incomplete: bool

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> OrchestrationSettings:
        env = os.environ if environ is None else environ
        project = nyckeltal_settings.project_dir()
        warehouse_value = _env(env, "NYCKELTAL_WAREHOUSE")
        warehouse = (
            Path(warehouse_value) if warehouse_value else nyckeltal_settings.DEFAULT_WAREHOUSE
        )
        warehouse = warehouse if warehouse.is_absolute() else project / warehouse
        published_value = _env(env, "NYCKELTAL_PUBLISHED")
        target_value = _env(env, "NYCKELTAL_DBT_TARGET_PATH") or _env(env, "DBT_TARGET_PATH")
        target = Path(target_value) if target_value else Path("target")
        alerts_value = _env(env, "NYCKELTAL_ALERTS_FILE")
        return cls(
            warehouse=warehouse.resolve(),
            published=Path(published_value).resolve() if published_value else None,
            dbt_target_path=(target if target.is_absolute() else project / target).resolve(),
            schedule_cron=_env(env, "NYCKELTAL_SCHEDULE_CRON") or DEFAULT_SCHEDULE_CRON,
            schedule_timezone=_env(env, "NYCKELTAL_SCHEDULE_TIMEZONE") or DEFAULT_SCHEDULE_TIMEZONE,
            schedule_enabled=_truthy(_env(env, "NYCKELTAL_SCHEDULE_ENABLED") or "true"),
            partitions_start=dt.date.fromisoformat(
                _env(env, "NYCKELTAL_PARTITIONS_START") or DEFAULT_PARTITIONS_START
            ),
            retries=int(_env(env, "NYCKELTAL_RETRIES") or DEFAULT_RETRIES),
            retry_delay_seconds=float(
                _env(env, "NYCKELTAL_RETRY_DELAY_SECONDS") or DEFAULT_RETRY_DELAY_SECONDS
            ),
            alerts_file=Path(alerts_value).resolve() if alerts_value else None,
            alert_webhook_url=_env(env, "NYCKELTAL_ALERT_WEBHOOK_URL"),
            alert_change_share=float(
                _env(env, "NYCKELTAL_ALERT_CHANGE_SHARE") or DEFAULT_ALERT_CHANGE_SHARE
            ),
            alert_include_incomplete=_truthy(_env(env, "NYCKELTAL_ALERT_INCLUDE_INCOMPLETE")),
        )


def default_alerts_file(warehouse: Path) -> Path:
    """The alert log beside the warehouse file (warehouse/alerts.jsonl by default)."""
    return warehouse.parent / ALERTS_FILE_NAME


# --------------------------------------------------------------------------- retries

# Failures worth retrying: the DuckDB file locked by another process, I/O and network
# hiccups. Anything else (bad data, a failing dbt test, a SQL error) fails at once.
_TRANSIENT_MARKERS = (
    "could not set lock",
    "conflicting lock",
    "database is locked",
    "resource temporarily unavailable",
    "io error",
    "timed out",
    "timeout",
    "connection refused",
    "connection reset",
    "temporary failure",
    "broken pipe",
)


def is_transient_failure(error: BaseException | str) -> bool:
    """True when an error (or a dbt log excerpt) looks like a failure a retry can fix."""
    if isinstance(error, TimeoutError | ConnectionError):
        return True
    text = str(error).lower()
    return any(marker in text for marker in _TRANSIENT_MARKERS)


def retry_policy(config: OrchestrationSettings) -> RetryPolicy:
    """Retry a failed step `retries` times, waiting delay, 2 x delay, 4 x delay, ... (+- jitter)."""
    return RetryPolicy(
        max_retries=config.retries,
        delay=config.retry_delay_seconds,
        backoff=Backoff.EXPONENTIAL,
        jitter=Jitter.PLUS_MINUS,
    )


# --------------------------------------------------------------------------- dbt manifest


def dbt_project(target_path: Path | None = None) -> DbtProject:
    """The dbt project of this repository, its artifacts in the configured target path."""
    target = target_path or OrchestrationSettings.from_environment().dbt_target_path
    return DbtProject(
        project_dir=nyckeltal_settings.project_dir(),
        target_path=target,
        prepare_project_cli_args=["parse", "--quiet"],
    )


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


def manifest_is_stale(manifest_path: Path, project_dir: Path) -> bool:
    """True when the manifest is missing or older than a model, macro, seed or the config."""
    if not manifest_path.exists():
        return True
    return manifest_path.stat().st_mtime < _newest_input_mtime(project_dir)


def prepare_manifest(project: DbtProject) -> Path:
    """Return a manifest that matches the project, running `dbt parse` when needed.

    Under `dagster dev` the project is always re-parsed (dagster-dbt's prepare_if_dev);
    elsewhere (a fresh clone, CI, `nyckeltal run`) only when the manifest is missing or
    older than the files it is parsed from.
    """
    if project.preparer.using_dagster_dev() or manifest_is_stale(
        project.manifest_path, project.project_dir
    ):
        # dagster-dbt's own preparer looks for `dbt` on PATH; ours runs the dbt of this
        # Python environment, also when the virtualenv is not activated.
        run_with_concurrent_update_guard(project.manifest_path, _parse, project=project)
    return project.manifest_path


def _parse(project: DbtProject) -> None:
    dbt_resource(project).cli(["parse", "--quiet"], target_path=project.target_path).wait()


def dbt_resource(project: DbtProject) -> DbtCliResource:
    return DbtCliResource(
        project_dir=project,
        profiles_dir=str(project.profiles_dir),
        dbt_executable=dbt_executable(),
    )


# --------------------------------------------------------------------------- resources


class NyckeltalResource(ConfigurableResource):
    """The warehouse a run works on. Every field can be overridden in a run's config."""

    warehouse: str
    published: str | None = None
    as_of: str | None = None  # YYYY-MM-DD; None: the latest event date in the data
    dbt_target_path: str | None = None

    def warehouse_path(self) -> Path:
        return Path(self.warehouse).resolve()

    def published_path(self) -> Path | None:
        return Path(self.published).resolve() if self.published else None

    def as_of_date(self) -> dt.date | None:
        return dt.date.fromisoformat(self.as_of) if self.as_of else None

    def dbt_vars(self) -> dict[str, str]:
        """The dbt vars every build of this run passes (the as-of date, when set)."""
        return {"as_of_date": self.as_of} if self.as_of else {}

    @contextmanager
    def dbt_environment(self) -> Iterator[None]:
        """Point dbt at this run's warehouse (profiles.yml reads NYCKELTAL_WAREHOUSE).

        dagster-dbt starts dbt with the current process environment, so it is set for the
        duration of the call (steps run one at a time: the job uses the in-process
        executor, DuckDB having a single writer).
        """
        overrides = {"NYCKELTAL_WAREHOUSE": str(self.warehouse_path())}
        if self.dbt_target_path:
            # dagster-dbt puts each invocation's artifacts under DBT_TARGET_PATH and reuses
            # the partial parse found there.
            overrides["DBT_TARGET_PATH"] = self.dbt_target_path
        saved = {name: os.environ.get(name) for name in overrides}
        os.environ.update(overrides)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


class AlertsResource(ConfigurableResource):
    """Where KPI alerts go and what triggers them (see orchestration.alerts)."""

    alerts_file: str | None = None  # None: alerts.jsonl beside the run's warehouse
    webhook_url: str | None = None
    change_share: float = DEFAULT_ALERT_CHANGE_SHARE
    include_incomplete_periods: bool = False
    webhook_timeout_seconds: float = 10.0


def build_resources(config: OrchestrationSettings, project: DbtProject) -> dict[str, object]:
    """The resources of the Definitions, from the environment's settings."""
    return {
        "dbt": dbt_resource(project),
        "nyckeltal": NyckeltalResource(
            warehouse=str(config.warehouse),
            published=str(config.published) if config.published else None,
            dbt_target_path=str(config.dbt_target_path),
        ),
        "alerts": AlertsResource(
            alerts_file=str(config.alerts_file) if config.alerts_file else None,
            webhook_url=config.alert_webhook_url,
            change_share=config.alert_change_share,
            include_incomplete_periods=config.alert_include_incomplete,
        ),
    }
