"""Running dbt against the configured warehouse.

dbt runs as a subprocess of the same Python environment, with the project and profiles of
this repository and the warehouse path passed through NYCKELTAL_WAREHOUSE, so that the CLI,
the tests and Dagster build exactly the same way.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from nyckeltal import settings


class DbtError(RuntimeError):
    """dbt exited non-zero."""


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def dbt_environment(warehouse: Path) -> dict[str, str]:
    return settings.subprocess_environment({"NYCKELTAL_WAREHOUSE": str(warehouse)})


def dbt_command(
    arguments: Sequence[str], dbt_vars: Mapping[str, object] | None = None
) -> list[str]:
    project = str(settings.project_dir())
    command = [dbt_executable(), *arguments, "--project-dir", project, "--profiles-dir", project]
    if dbt_vars:
        command += ["--vars", json.dumps(dict(dbt_vars), default=str)]
    return command


def run_dbt(
    arguments: Sequence[str],
    warehouse: Path,
    dbt_vars: Mapping[str, object] | None = None,
    quiet: bool = False,
) -> None:
    """Run `dbt <arguments>`; raise DbtError when it fails. Output streams to the console."""
    command = dbt_command(arguments, dbt_vars)
    completed = subprocess.run(
        command,
        cwd=settings.project_dir(),
        env=dbt_environment(warehouse),
        stdout=subprocess.PIPE if quiet else None,
        stderr=subprocess.STDOUT if quiet else None,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        detail = f"\n{completed.stdout[-4000:]}" if quiet and completed.stdout else ""
        raise DbtError(f"dbt {' '.join(arguments)} failed (exit {completed.returncode}){detail}")
