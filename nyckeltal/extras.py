"""The optional extras of pyproject.toml a setting needs, checked before the work starts.

The core install (`requirements.lock`, `make run`) runs the embedded DuckDB; the `postgres`
and `spark` targets and publishing to PostgreSQL need an extra (`requirements-dev.lock`).
Without it a command ends with one line saying what to install, not an import traceback.
"""

from __future__ import annotations

from importlib.util import find_spec

from nyckeltal.errors import NyckeltalError

# extra -> the modules it provides that the code imports
MODULES = {
    "postgres": ("psycopg", "dbt.adapters.postgres"),
    "spark": ("pyspark", "dbt.adapters.spark"),
}


def missing_modules(extra: str) -> list[str]:
    return [module for module in MODULES[extra] if find_spec(module) is None]


def require(extra: str, feature: str) -> None:
    """Raise a one-line NyckeltalError when `extra`, which `feature` needs, is not installed."""
    missing = missing_modules(extra)
    if missing:
        raise NyckeltalError(
            f"{feature} needs the `{extra}` extra ({', '.join(missing)} not installed): "
            f'pip install -c requirements-dev.lock -e ".[{extra}]", or `make dev` for all extras'
        )


def require_for(engine_extra: str | None, publish_to_postgres: bool) -> None:
    """The extras of the run's settings: its engine's (Engine.extra, None: the core), and
    PostgreSQL publishing's."""
    if engine_extra is not None:
        require(engine_extra, f"NYCKELTAL_TARGET={engine_extra}")
    if publish_to_postgres:
        require("postgres", "NYCKELTAL_PUBLISH_POSTGRES_URL")
