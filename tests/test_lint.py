"""Style gates: ruff for Python, sqlfluff (dbt templater, duckdb dialect) for the models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(arguments: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        arguments, cwd=PROJECT, capture_output=True, text=True, env=env, check=False
    )


def test_ruff_check_is_clean() -> None:
    result = _run([str(BIN / "ruff"), "check", "."])
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = _run([str(BIN / "ruff"), "format", "--check", "."])
    assert result.returncode == 0, result.stdout + result.stderr


def test_sqlfluff_lint_is_clean(tmp_path: Path) -> None:
    env = dict(os.environ)
    env["NYCKELTAL_WAREHOUSE"] = str(tmp_path / "lint.duckdb")
    env["DBT_TARGET_PATH"] = str(tmp_path / "target")
    env["DBT_LOG_PATH"] = str(tmp_path / "logs")
    result = _run([str(BIN / "sqlfluff"), "lint", "models", "--disable-progress-bar"], env)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
