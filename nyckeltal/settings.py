"""Where things are: the dbt project, the warehouse file, the reporting currency.

Configuration comes from environment variables with defaults that run the embedded DuckDB
demo, so that every entry point (CLI, Dagster, tests) resolves the same paths.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import yaml

DEFAULT_WAREHOUSE = Path("warehouse") / "nyckeltal.duckdb"


def project_dir() -> Path:
    """The dbt project directory (the repository root unless NYCKELTAL_PROJECT_DIR is set)."""
    override = os.environ.get("NYCKELTAL_PROJECT_DIR")
    if override:
        return Path(override).resolve()
    return Path(__file__).resolve().parent.parent


def warehouse_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The DuckDB warehouse file: the argument, else NYCKELTAL_WAREHOUSE, else the default.

    A relative NYCKELTAL_WAREHOUSE or default is taken relative to the project directory, so
    that the CLI, dbt and Dagster agree whatever the working directory.
    """
    if explicit is not None:
        return Path(explicit).resolve()
    configured = os.environ.get("NYCKELTAL_WAREHOUSE")
    path = Path(configured) if configured else DEFAULT_WAREHOUSE
    return path if path.is_absolute() else (project_dir() / path).resolve()


@cache
def dbt_project_vars() -> dict[str, object]:
    """The `vars:` block of dbt_project.yml (the defaults of every KPI setting)."""
    with open(project_dir() / "dbt_project.yml", encoding="utf-8") as handle:
        return dict(yaml.safe_load(handle).get("vars") or {})


def reporting_currency() -> str:
    """The reporting currency: NYCKELTAL_REPORTING_CURRENCY, else the dbt var default."""
    return os.environ.get(
        "NYCKELTAL_REPORTING_CURRENCY", str(dbt_project_vars()["reporting_currency"])
    ).upper()


def demo_data_dir() -> Path:
    """The bundled demo dataset (raw files in the loader's format)."""
    return project_dir() / "seeds" / "demo"


DEFAULT_PUBLISHED_NAME = "nyckeltal_published.duckdb"


def published_path(
    warehouse: str | os.PathLike[str] | None = None,
    explicit: str | os.PathLike[str] | None = None,
) -> Path:
    """The PUBLISHED marts file that BI tools and `nyckeltal scorecard` read.

    The argument, else NYCKELTAL_PUBLISHED (relative to the project directory), else
    `nyckeltal_published.duckdb` beside the warehouse file. dbt never writes it: a run that
    passes validation replaces it atomically (`nyckeltal.publish`).
    """
    if explicit is not None:
        return Path(explicit).resolve()
    configured = os.environ.get("NYCKELTAL_PUBLISHED")
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else (project_dir() / path).resolve()
    return warehouse_path(warehouse).with_name(DEFAULT_PUBLISHED_NAME)


DEFAULT_REPORT_DIR_NAME = "report"


def report_dir(
    warehouse: str | os.PathLike[str] | None = None,
    explicit: str | os.PathLike[str] | None = None,
) -> Path:
    """Where `nyckeltal report` and the Dagster `kpi_report` asset write the KPI report.

    The argument, else NYCKELTAL_REPORT_DIR (relative to the project directory), else
    `report/` beside the warehouse file.
    """
    if explicit is not None:
        return Path(explicit).resolve()
    configured = os.environ.get("NYCKELTAL_REPORT_DIR")
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else (project_dir() / path).resolve()
    return warehouse_path(warehouse).with_name(DEFAULT_REPORT_DIR_NAME)
