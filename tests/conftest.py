"""Shared pytest fixtures."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from run_folders import runs_write_under
from webhook_recorder import Webhook, serve_webhook

FIXTURES = Path(__file__).parent / "fixtures"


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


@pytest.fixture(scope="session")
def dbt_built_warehouse(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str | Path], Path]:
    """Build a warehouse once per session and dataset, for tests that only read it.

    The dataset is "demo" (the bundled demo) or a folder of raw files; it is loaded with the
    CLI, then `dbt build` runs without the unit tests (they have their own runs). Readers must
    open the warehouse read-only.
    """
    from nyckeltal.cli import main
    from nyckeltal.dbt_runner import run_dbt

    built: dict[str, Path] = {}

    def build(dataset: str | Path) -> Path:
        key = str(dataset)
        if key not in built:
            folder = tmp_path_factory.mktemp("dbt_built")
            warehouse = folder / "nyckeltal.duckdb"
            load = ["demo"] if key == "demo" else ["load", key]
            with pytest.MonkeyPatch.context() as patch:
                runs_write_under(patch, folder)
                assert main([*load, "--warehouse", str(warehouse)]) == 0
                run_dbt(["build", "--exclude-resource-type", "unit_test", "-q"], warehouse)
            built[key] = warehouse
        return built[key]

    return build


@pytest.fixture(scope="session")
def postgres_server():
    """A private PostgreSQL server on 127.0.0.1 for the session (tests/postgres_server.py).
    A server that does not start fails the tests that use it."""
    from postgres_server import start

    server = start()
    yield server
    server.stop()


@pytest.fixture
def postgres_database(postgres_server, request: pytest.FixtureRequest) -> str:
    """A fresh database owned by the publishing role; returns the publisher's URL to it."""
    import re

    import psycopg
    from postgres_server import PUBLISHER, PUBLISHER_PASSWORD, SUPERUSER_PASSWORD

    name = "t_" + re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:50]
    admin_url = postgres_server.url("postgres", SUPERUSER_PASSWORD, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"drop database if exists {name} with (force)")
        admin.execute(f"create database {name} owner {PUBLISHER}")
    return postgres_server.url(PUBLISHER, PUBLISHER_PASSWORD, name)
