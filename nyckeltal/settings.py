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


# DuckDB resources of the loader (`nyckeltal load`, `nyckeltal demo`).
DEFAULT_DUCKDB_MEMORY_LIMIT = "75%"


def duckdb_memory_limit() -> str:
    """DuckDB's `memory_limit` for a load: NYCKELTAL_DUCKDB_MEMORY_LIMIT, else 75% of the RAM.

    A DuckDB size (`4GiB`, `800MB`) or a share of the machine's RAM (`50%`); beyond it DuckDB
    spills to `duckdb_temp_directory`.
    """
    configured = os.environ.get("NYCKELTAL_DUCKDB_MEMORY_LIMIT", "").strip()
    value = configured or DEFAULT_DUCKDB_MEMORY_LIMIT
    if not value.endswith("%"):
        return value
    try:
        share = float(value[:-1]) / 100
    except ValueError:
        raise ValueError(
            f"NYCKELTAL_DUCKDB_MEMORY_LIMIT={value!r} is not a size (4GiB) or a share (75%)"
        ) from None
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{max(1, int(total * share) >> 20)}MiB"


def duckdb_threads() -> int:
    """DuckDB's `threads` for a load: NYCKELTAL_DUCKDB_THREADS, else the usable cores."""
    configured = os.environ.get("NYCKELTAL_DUCKDB_THREADS", "").strip()
    if configured:
        return max(1, int(configured))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def duckdb_temp_directory(warehouse: str | os.PathLike[str] | None = None) -> Path:
    """Where a load spills beyond the memory limit: NYCKELTAL_DUCKDB_TEMP_DIRECTORY, else the
    warehouse's folder (the loader uses a private sub-folder there and removes it after)."""
    configured = os.environ.get("NYCKELTAL_DUCKDB_TEMP_DIRECTORY")
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else (project_dir() / path).resolve()
    return warehouse_path(warehouse).parent
