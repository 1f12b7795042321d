"""The run context: every value a command or a Dagster run works with, read once at the edge.

The command line, the Dagster resource (from its run config) and the tests build one
`RunContext` from nyckeltal.settings with `RunContext.build(...)` and pass it down; the code
below never reads the settings or the environment again. The window of days and the as-of
date are validated here, and only here. dbt gets its values per invocation
(nyckeltal.dbt_runner): nothing changes the process environment.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from nyckeltal import settings
from nyckeltal.engine import Engine, engine_for
from nyckeltal.errors import NyckeltalError
from nyckeltal.horizon import DateWindow
from nyckeltal.settings import Settings


class RunContextError(NyckeltalError, ValueError):
    """A value of the run (its window of days, its as-of date, a dbt profiles folder) is wrong."""


@dataclass(frozen=True)
class DuckDBLimits:
    """DuckDB's memory limit (a size DuckDB takes), threads and spill folder (None: the
    warehouse's folder for a load, DuckDB's own `<warehouse>.tmp` for dbt's builds)."""

    memory_limit: str
    threads: int
    temp_directory: Path | None = None

    def dbt_settings(self) -> dict[str, str]:
        """What the on-run-start macro `tune_duckdb` sets in dbt's builds."""
        configured = {"memory_limit": self.memory_limit, "threads": str(self.threads)}
        if self.temp_directory:
            configured["temp_directory"] = str(self.temp_directory)
        return configured


@dataclass(frozen=True)
class Window:
    """The days (inclusive) whose rows the daily facts replace."""

    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class RunContext:
    """Everything a run needs, immutable; `settings` keeps the validated settings it was
    built from (alert channels, schedule, retries: read by the edges that own them)."""

    settings: Settings = field(repr=False)
    engine: Engine
    project_dir: Path
    warehouse: Path
    published: Path
    parquet_dir: Path | None
    report_dir: Path
    alerts_file: Path
    dbt_target_path: Path
    dbt_profiles_dir: Path
    gx_dir: Path
    duckdb: DuckDBLimits
    reporting_currency: str
    date_horizon_years: int
    gx_execution: str = "compiled"  # `compiled` or `gx` (NYCKELTAL_GX_EXECUTION)
    as_of: dt.date | None = None
    window: Window | None = None
    today: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())

    @classmethod
    def build(
        cls,
        config: Settings | None = None,
        *,
        warehouse: Path | str | None = None,
        published: Path | str | None = None,
        report_dir: Path | str | None = None,
        dbt_target_path: Path | str | None = None,
        as_of: dt.date | None = None,
        window: tuple[dt.date | None, dt.date | None] | None = None,
        today: dt.date | None = None,
    ) -> RunContext:
        """The context of one command or run: `config` (default: the settings of the
        environment now), with the paths, as-of date and window given here taking
        precedence. Raises RunContextError naming what is wrong."""
        config = config or settings.current()
        today = today or dt.datetime.now(dt.UTC).date()
        home = Path(warehouse).resolve() if warehouse is not None else config.warehouse
        publication = Path(published).resolve() if published is not None else None
        publication = (
            publication or config.published or home.with_name(settings.DEFAULT_PUBLISHED_NAME)
        )
        parquet = None
        if config.publish_parquet:
            parquet = config.publish_parquet_dir or publication.with_name(
                settings.DEFAULT_PARQUET_DIR_NAME
            )
        report = Path(report_dir).resolve() if report_dir is not None else None
        context = cls(
            settings=config,
            engine=engine_for(config),
            project_dir=config.project_dir,
            warehouse=home,
            published=publication,
            parquet_dir=parquet,
            report_dir=report
            or config.report_dir
            or home.with_name(settings.DEFAULT_REPORT_DIR_NAME),
            alerts_file=config.alerts_file or home.with_name(settings.ALERTS_FILE_NAME),
            dbt_target_path=Path(dbt_target_path).resolve()
            if dbt_target_path
            else config.dbt_target_path,
            dbt_profiles_dir=profiles_dir(config),
            gx_dir=config.gx_dir,
            duckdb=DuckDBLimits(
                settings.memory_limit_size(config.duckdb_memory_limit),
                config.duckdb_threads or settings.usable_cores(),
                config.duckdb_temp_directory,
            ),
            reporting_currency=config.reporting_currency
            or str(settings.project_vars(config.project_dir)["reporting_currency"]).upper(),
            date_horizon_years=config.date_horizon_years,
            gx_execution=config.gx_execution,
            today=today,
        )
        return context.with_run(as_of=as_of, window=window)

    def with_run(
        self,
        *,
        as_of: dt.date | None = None,
        window: tuple[dt.date | None, dt.date | None] | None = None,
    ) -> RunContext:
        """This context for a run as of `as_of` over the days `window` (start, end), both
        validated: start and end go together, start <= end, every date within the date
        horizon (nyckeltal.horizon)."""
        horizon = self.date_window()
        checked: Window | None = None
        if window is not None and window != (None, None):
            start, end = window
            if start is None or end is None:
                raise RunContextError("the window's first and last day go together (--from/--to)")
            if start > end:
                raise RunContextError(f"the window starts ({start}) after it ends ({end})")
            checked = Window(start, end)
        for name, day in (
            ("the as-of date", as_of),
            ("the window's first day", checked and checked.start),
            ("the window's last day", checked and checked.end),
        ):
            if day is not None and not horizon.earliest <= day <= horizon.latest:
                raise RunContextError(f"{name} {day} lies outside {horizon.describe()}")
        return dataclasses.replace(self, as_of=as_of, window=checked)

    def date_window(self, today: dt.date | None = None) -> DateWindow:
        """The dates raw data may hold (nyckeltal.horizon), after `today` (default: the
        context's day)."""
        return DateWindow.after(today or self.today, self.date_horizon_years)

    def replace(self, **changes: object) -> RunContext:
        """A copy with some fields changed (a test's own warehouse, ...)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    # ----------------------------------------------------------------------- dbt

    def dbt_vars(self) -> dict[str, str]:
        """The dbt vars of every build: the reporting currency when not the default (only
        changed vars: new vars make dbt parse the whole project again) and the as-of date."""
        default = str(settings.project_vars(self.project_dir)["reporting_currency"]).upper()
        currency = (
            {}
            if self.reporting_currency == default
            else {"reporting_currency": self.reporting_currency}
        )
        as_of = {"as_of_date": self.as_of.isoformat()} if self.as_of else {}
        return {**currency, **as_of}

    def dbt_environment(self) -> dict[str, str]:
        """The variables dbt runs with on top of the environment it inherits: the engine's
        settings profiles.yml reads, the warehouse, DuckDB's limits, the window (read by the
        macro `partition_window` at run time: a new window keeps dbt's partial parse) and
        no usage statistics."""
        environment = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        environment.update(settings.engine_environment(self.settings))
        environment.update(self.engine.dbt_environment())
        environment["NYCKELTAL_WAREHOUSE"] = str(self.warehouse)
        environment["NYCKELTAL_DBT_DUCKDB_SETTINGS"] = json.dumps(self.duckdb.dbt_settings())
        environment["NYCKELTAL_WINDOW_START"] = self.window.start.isoformat() if self.window else ""
        environment["NYCKELTAL_WINDOW_END"] = self.window.end.isoformat() if self.window else ""
        return environment


def profiles_dir(config: Settings) -> Path:
    """The folder of dbt's profiles.yml: DBT_PROFILES_DIR when set (a user's own profiles),
    else the project folder (the repository's profiles.yml)."""
    folder = config.dbt_profiles_dir or config.project_dir
    if not (folder / "profiles.yml").is_file():
        raise RunContextError(f"DBT_PROFILES_DIR={folder} has no profiles.yml")
    return folder


def dbt_vars_json(values: Mapping[str, object]) -> str:
    """dbt's `--vars` argument for `values`."""
    return json.dumps(dict(values), sort_keys=True, default=str)
