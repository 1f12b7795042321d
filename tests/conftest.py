"""Shared pytest fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def minimal_dataset(tmp_path: Path) -> Path:
    """A private copy of tests/fixtures/minimal: a tiny valid dataset of all 15 raw tables.

    Coherent on purpose: every foreign key resolves, and money comes in EUR (the reporting
    currency), SEK and USD, with USD rows converted at a rate from an earlier day.
    """
    target = tmp_path / "dataset"
    shutil.copytree(FIXTURES / "minimal", target)
    return target
