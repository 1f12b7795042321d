"""Where a test's dbt runs write: dbt's target and logs (and the alerts file) under one folder."""

from __future__ import annotations

from pathlib import Path

import pytest


def runs_write_under(patch: pytest.MonkeyPatch, folder: Path, alerts: bool = False) -> None:
    """Point dbt's target and log folders (and, with `alerts`, the alerts file) into `folder`."""
    patch.setenv("DBT_TARGET_PATH", str(folder / "target"))
    patch.setenv("DBT_LOG_PATH", str(folder / "logs"))
    if alerts:
        patch.setenv("NYCKELTAL_ALERTS_FILE", str(folder / "alerts.jsonl"))
