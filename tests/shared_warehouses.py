"""Warehouses built once per test run and shared by the tests (and the pytest-xdist
workers) that read them; the fixtures are in tests/conftest.py."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock


def copy_warehouse(warehouse: Path, folder: Path, name: str = "nyckeltal.duckdb") -> Path:
    """A private, writable copy of a shared warehouse file, as `folder / name`."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / name
    shutil.copyfile(warehouse, copy)
    return copy


def _run_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary folder of this test run, shared by the xdist workers (each worker's own
    base folder is a child of it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def build_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]
) -> Path:
    """The folder `name`, filled by `build(folder)` once per test run, whichever xdist worker
    asks first; the others wait for it. A failed build is not retried: the others fail with
    its error."""
    folder = _run_root(tmp_path_factory) / f"shared-{name}"
    done, failed = folder / ".built", folder / ".failed"
    with FileLock(f"{folder}.lock"):
        if failed.exists():
            pytest.fail(f"the shared {name} warehouse failed to build: {failed.read_text()}")
        if not done.exists():
            folder.mkdir(parents=True, exist_ok=True)
            try:
                build(folder)
            except BaseException as error:
                failed.write_text(f"{type(error).__name__}: {error}"[-4000:])
                raise
            done.touch()
    return folder
