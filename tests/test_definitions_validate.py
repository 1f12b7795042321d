"""The code location passes Dagster's own validation, with no warning about our code.

`dagster definitions validate` loads orchestration.definitions as `dagster dev` does (in a
child process, every Python warning shown). Dagster's own notice that the command is
superseded by `dg check defs` (the `dg` CLI is not a dependency) is Dagster's, not ours.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
OURS = re.compile(r"(^|/)(orchestration|nyckeltal)/[\w/]+\.py")


def test_dagster_validates_the_code_location_without_warnings_of_ours(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONWARNINGS": "default",
        "NYCKELTAL_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
    }
    env.pop("DAGSTER_HOME", None)
    dagster = Path(sys.executable).with_name("dagster")
    done = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "orchestration.definitions"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "All code locations passed validation" in output
    warnings = [line for line in output.splitlines() if "Warning" in line]
    ours = [line for line in warnings if OURS.search(line) or "_core" in line or "_utils" in line]
    assert ours == [], "\n".join(ours)
    # what remains is Dagster's notice about the command itself
    assert all("definitions_validate_command" in line for line in warnings), warnings
