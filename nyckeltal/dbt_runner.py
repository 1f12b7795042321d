"""The one way Nyckeltal invokes dbt: dagster-dbt's `DbtCliResource`.

The Dagster job builds through it (orchestration.defs.dbt), and so do the commands and tests
that need dbt outside a run (`run_dbt`: a parse, the dbt unit tests, a test fixture): the same
executable (the dbt of this Python environment), project, profiles and warehouse, whatever
the working directory.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from functools import cached_property
from importlib import metadata
from pathlib import Path

from dagster_dbt import DbtCliResource
from packaging import version

from nyckeltal import settings


class DbtError(RuntimeError):
    """dbt exited non-zero."""


def dbt_executable() -> str:
    """`nyckeltal-dbt` (dbt that ends with the process that starts it: nyckeltal.children)
    beside this Python, else the dbt of this Python environment, else `dbt` on PATH (the
    last two without that binding: a package installed without its console scripts)."""
    for name in ("nyckeltal-dbt", "dbt"):
        candidate = Path(sys.executable).with_name(name)
        if candidate.exists():
            return str(candidate)
    return "dbt"


class NyckeltalDbtCli(DbtCliResource):
    """dagster-dbt's resource without two costs Nyckeltal does not use, paid on every
    invocation: a `dbt --version` subprocess (a second dbt start-up, which also asks PyPI
    for the latest version: about 3 s of CPU, longer without a fast network) to learn the
    version of the dbt-core installed beside it, and an in-process dbt adapter (profile,
    project and macros loaded again, ~1.5 s) that dagster-dbt only needs for the opt-in
    column and row-count metadata (`fetch_column_metadata`, `fetch_row_counts`)."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


def dbt_cli(project_dir: Path | str | object | None = None) -> DbtCliResource:
    """The dbt CLI of the project (`project_dir`: a path or a dagster-dbt DbtProject)."""
    project = project_dir or settings.project_dir()
    profiles = getattr(project, "profiles_dir", None) or project
    return NyckeltalDbtCli(
        project_dir=project if not isinstance(project, Path) else str(project),
        profiles_dir=str(profiles),
        dbt_executable=dbt_executable(),
    )


SELECTION_FLAGS = ("--select", "-s", "--exclude", "--models", "-m")


def joined_selections(arguments: Sequence[str]) -> list[str]:
    """`--select a b` as `--select "a b"`: dagster-dbt moves a selection flag to the end of
    the command with only its first value, so several values travel as one string (dbt
    splits it on spaces)."""
    joined: list[str] = []
    values: list[str] | None = None
    for argument in arguments:
        if values is not None and not argument.startswith("-"):
            values.append(argument)
            continue
        if values is not None:
            joined.append(" ".join(values))
            values = None
        joined.append(argument)
        if argument in SELECTION_FLAGS:
            values = []
    if values is not None:
        joined.append(" ".join(values))
    return joined


def run_dbt(
    arguments: Sequence[str],
    warehouse: Path,
    dbt_vars: Mapping[str, object] | None = None,
    quiet: bool = False,
) -> None:
    """Run `dbt <arguments>` on `warehouse`; raise DbtError when it fails. dbt's own output
    goes to the console unless `quiet` (then it is in the error)."""
    command = joined_selections(arguments)
    if dbt_vars:
        command += ["--vars", json.dumps(dict(dbt_vars), default=str)]
    with settings.environment_overrides(settings.dbt_environment(warehouse)):
        invocation = dbt_cli().cli(
            command, raise_on_error=False, target_path=settings.dbt_target_path()
        )
        lines = []
        for line in invocation.stream_raw_events():
            text = str(getattr(line, "raw_event", {}).get("info", {}).get("msg", "")).rstrip()
            if not text:
                continue
            if quiet:
                lines.append(text)
            else:
                print(text, flush=True)
    if not invocation.is_successful():
        detail = "\n".join(lines[-60:]) if quiet else ""
        raise DbtError(f"dbt {' '.join(arguments)} failed{(chr(10) + detail) if detail else ''}")
