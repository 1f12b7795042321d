"""Where a test's runs write: dbt's target and logs, the generated Great Expectations project
(and the alerts file) under one folder, so that runs in parallel (pytest-xdist) never share
the repository's `target/` or `expectations/uncommitted/`."""

from __future__ import annotations

from pathlib import Path

import pytest


def runs_write_under(patch: pytest.MonkeyPatch, folder: Path, alerts: bool = False) -> None:
    """Point dbt's target and log folders, the GX project (and, with `alerts`, the alerts
    file) into `folder`."""
    patch.setenv("DBT_TARGET_PATH", str(folder / "target"))
    patch.setenv("DBT_LOG_PATH", str(folder / "logs"))
    patch.setenv("NYCKELTAL_GX_DIR", str(folder / "gx"))
    if alerts:
        patch.setenv("NYCKELTAL_ALERTS_FILE", str(folder / "alerts.jsonl"))
