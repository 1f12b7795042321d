"""Shared pytest fixtures.

The demo warehouse is the suite's cost driver: loading the bundled demo, a `dbt build` of it
and a `nyckeltal run` of it take minutes each. Each is done once per test run
(`demo_loaded`, `dbt_built_warehouse`, `demo_refreshed`) and shared read-only; a test that
changes a warehouse works on a copy (`copy_warehouse`: a file copy, far cheaper than a
rebuild). Under pytest-xdist (`make test TEST_WORKERS=2`) the workers share them too: the first
worker that needs one builds it under a file lock, the others wait for it and reuse it.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from run_folders import runs_write_under
from shared_warehouses import build_once, copy_warehouse
from webhook_recorder import Webhook, serve_webhook

from nyckeltal.context import RunContext

FIXTURES = Path(__file__).parent / "fixtures"


# --------------------------------------------------------------------------- small fixtures


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    """A local webhook recording what is POSTed to it, for the test's duration."""
    with serve_webhook() as hook:
        yield hook


@pytest.fixture
def minimal_dataset(tmp_path: Path) -> Path:
    """A private copy of tests/fixtures/minimal: a tiny valid dataset of all 15 raw tables.

    Coherent on purpose: every foreign key resolves, and money comes in EUR (the reporting
    currency), SEK and USD, with USD rows converted at a rate from an earlier day.
    """
    target = tmp_path / "dataset"
    shutil.copytree(FIXTURES / "minimal", target)
    return target


# --------------------------------------------------------------------------- shared warehouses


@pytest.fixture(scope="session")
def demo_loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled demo loaded (`nyckeltal demo`): raw tables only, nothing built. Read-only:
    copy it (`copy_warehouse`) to build or refresh it."""

    def build(folder: Path) -> None:
        from nyckeltal.cli import main

        with pytest.MonkeyPatch.context() as patch:
            runs_write_under(patch, folder)
            assert main(["demo", "--warehouse", str(folder / "nyckeltal.duckdb")]) == 0

    return build_once(tmp_path_factory, "demo_loaded", build) / "nyckeltal.duckdb"


@pytest.fixture(scope="session")
def dbt_built_warehouse(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Callable[[str | Path], Path]:
    """Build a warehouse once per session and dataset, for tests that only read it.

    The dataset is "demo" (the bundled demo) or a folder of raw files; it is loaded with the
    CLI (the demo: a copy of `demo_loaded`), then `dbt build` runs without the unit tests
    (they have their own runs). Readers must open the warehouse read-only.
    """
    from nyckeltal.cli import main
    from nyckeltal.dbt_runner import run_dbt

    def build(dataset: str | Path) -> Path:
        key = str(dataset)

        def load_and_build(folder: Path) -> None:
            warehouse = folder / "nyckeltal.duckdb"
            with pytest.MonkeyPatch.context() as patch:
                runs_write_under(patch, folder)
                if key == "demo":
                    copy_warehouse(request.getfixturevalue("demo_loaded"), folder)
                else:
                    assert main(["load", key, "--warehouse", str(warehouse)]) == 0
                run_dbt(
                    ["build", "--exclude-resource-type", "unit_test", "-q"],
                    RunContext.build(warehouse=warehouse),
                )

        name = "dbt_built_" + re.sub(r"[^A-Za-z0-9]+", "_", key)[-80:]
        return build_once(tmp_path_factory, name, load_and_build) / "nyckeltal.duckdb"

    return build


@pytest.fixture(scope="session")
def demo_refreshed(tmp_path_factory: pytest.TempPathFactory, demo_loaded: Path) -> Path:
    """The demo after `nyckeltal demo` + `nyckeltal run` (validated, built, published, with
    the run's alerts file `alerts.jsonl` beside it). Read-only: copy it to change it."""

    def build(folder: Path) -> None:
        from nyckeltal.cli import main

        warehouse = copy_warehouse(demo_loaded, folder)
        with pytest.MonkeyPatch.context() as patch:
            runs_write_under(patch, folder, alerts=True)
            assert main(["run", "--warehouse", str(warehouse)]) == 0

    return build_once(tmp_path_factory, "demo_refreshed", build) / "nyckeltal.duckdb"


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def postgres_server():
    """A private PostgreSQL server on 127.0.0.1 for the session (tests/postgres_server.py),
    one per xdist worker (a free port, a folder of its own).
    A server that does not start fails the tests that use it."""
    from postgres_server import start

    server = start()
    yield server
    server.stop()


@pytest.fixture
def postgres_database(postgres_server, request: pytest.FixtureRequest) -> str:
    """A fresh database owned by the publishing role; returns the publisher's URL to it."""
    import psycopg
    from postgres_server import PUBLISHER, PUBLISHER_PASSWORD, SUPERUSER_PASSWORD

    name = "t_" + re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:50]
    admin_url = postgres_server.url("postgres", SUPERUSER_PASSWORD, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"drop database if exists {name} with (force)")
        admin.execute(f"create database {name} owner {PUBLISHER}")
    return postgres_server.url(PUBLISHER, PUBLISHER_PASSWORD, name)
