"""The one way Nyckeltal invokes dbt: dagster-dbt's `DbtCliResource`.

The Dagster job builds through it (orchestration.defs.dbt), and so do the commands and tests
that need dbt outside a run (`run_dbt`: a parse, the dbt unit tests, a test fixture): the same
executable (the dbt of this Python environment), project, profiles and warehouse, whatever
the working directory.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from dagster_dbt import DbtCliResource, DbtProject

from nyckeltal.children import DBT_PARENT_PID_VARIABLE, ENVIRONMENT_FLAG

if TYPE_CHECKING:
    from nyckeltal.context import RunContext


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


def dbt_project(context: RunContext) -> DbtProject:
    """The dbt project of the run: its profiles folder and target path."""
    return DbtProject(
        project_dir=context.project_dir,
        target_path=context.dbt_target_path,
        profiles_dir=context.dbt_profiles_dir,
        prepare_project_cli_args=["parse", "--quiet"],
    )


def dbt_resource(context: RunContext) -> DbtCliResource:
    """The dbt CLI of the run's project and profiles: dagster-dbt's resource as it is (public
    API only; `nyckeltal-dbt` answers its per-invocation `dbt --version` itself,
    nyckeltal.children)."""
    return DbtCliResource(
        project_dir=str(context.project_dir),
        profiles_dir=str(context.dbt_profiles_dir),
        dbt_executable=dbt_executable(),
    )


@contextmanager
def dbt_cli(context: RunContext, base: DbtCliResource | None = None) -> Iterator[DbtCliResource]:
    """dagster-dbt's resource (`base`, default `dbt_resource(context)`) for invocations on
    the run's context: the variables dbt runs with (RunContext.dbt_environment: the
    warehouse, the engine's settings, the window, ...) go to a private file, passed by the
    resource's public `global_config_flags`, that `nyckeltal-dbt` adds to dbt's environment
    (nyckeltal.children). dagster-dbt starts dbt with a copy of this process's environment,
    which is never changed."""
    base = base or dbt_resource(context)
    with tempfile.TemporaryDirectory(prefix="nyckeltal-dbt-") as folder:
        environment_file = Path(folder) / "environment.json"
        variables = {**context.dbt_environment(), DBT_PARENT_PID_VARIABLE: str(os.getpid())}
        descriptor = os.open(environment_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(variables, handle)
        yield type(base)(
            project_dir=base.project_dir,
            profiles_dir=base.profiles_dir,
            profile=base.profile,
            target=base.target,
            dbt_executable=base.dbt_executable,
            state_path=base.state_path,
            global_config_flags=[
                ENVIRONMENT_FLAG,
                str(environment_file),
                *base.global_config_flags,
            ],
        )


PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def invocation_target_path(context: RunContext, name: str) -> Path:
    """A new target folder `name` for one dbt invocation under the run's dbt target path,
    seeded with the partial parse kept there (what dagster-dbt does for DBT_TARGET_PATH when
    that is set in the environment, which Nyckeltal never changes): dbt then skips a full
    parse when nothing changed."""
    folder = context.dbt_target_path / name
    folder.mkdir(parents=True, exist_ok=True)
    kept = context.dbt_target_path / PARTIAL_PARSE_FILE
    if kept.exists():
        shutil.copyfile(kept, folder / PARTIAL_PARSE_FILE)
    return folder


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
    context: RunContext,
    dbt_vars: Mapping[str, object] | None = None,
    quiet: bool = False,
    target_path: Path | None = None,
) -> None:
    """Run `dbt <arguments>` on the context's warehouse; raise DbtError when it fails.
    dbt's own output goes to the console unless `quiet` (then it is in the error).
    `target_path`: dbt's target folder (default: the run's; another keeps the run's partial
    parse when the vars differ)."""
    command = joined_selections(arguments)
    if dbt_vars:
        command += ["--vars", json.dumps(dict(dbt_vars), default=str)]
    with dbt_cli(context) as cli:
        invocation = cli.cli(
            command, raise_on_error=False, target_path=target_path or context.dbt_target_path
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
