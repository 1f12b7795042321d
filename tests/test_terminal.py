"""Control characters from data never reach the terminal raw; files for programs keep them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from nyckeltal import cli
from nyckeltal.quality.outcome import Failure
from nyckeltal.scorecard import COLUMNS
from nyckeltal.terminal import printable

HOSTILE = "smb\x1b[2J\x1b]0;pwned\x07\x9b31m\r\n"


def test_printable_escapes_c0_c1_and_del_and_keeps_the_rest() -> None:
    assert printable(HOSTILE) == "smb\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m\\r\\n"
    assert printable("a\tb\x7fc\x00") == "a\\tb\\x7fc\\x00"
    assert printable("Malmö – 100 €") == "Malmö – 100 €"


@pytest.fixture
def published(tmp_path: Path) -> Path:
    """A published marts file whose one scorecard row has a hostile segment value."""
    path = tmp_path / "published.duckdb"
    values = {
        "kpi_code": "nps",
        "period_start": dt.date(2024, 1, 1),
        "period_end": dt.date(2024, 1, 31),
        "period_grain": "month",
        "segment_type": "total",
        "segment_value": HOSTILE,
        "numerator": 1.0,
        "denominator": 2.0,
        "value": 50.0,
        "unit": "score",
        "target_value": None,
        "status": "no_target",
        "previous_value": None,
        "previous_status": None,
        "is_complete_period": True,
        "is_suppressed": False,
    }
    assert tuple(values) == COLUMNS
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema marts")
        selected = ", ".join(f"? as {name}" for name in values)
        connection.execute(
            f"create table marts.kpi_scorecard as select {selected}", list(values.values())
        )
    return path


def _scorecard(published: Path, *options: str) -> int:
    return cli.main(["scorecard", "--published", str(published), *options])


def test_scorecard_table_escapes_control_characters_json_keeps_them(
    published: Path, capsys: pytest.CaptureFixture
) -> None:
    assert _scorecard(published) == 0
    out = capsys.readouterr().out
    assert "smb\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m\\r\\n" in out
    assert not any(character in out for character in "\x1b\x07\x9b\r")
    assert _scorecard(published, "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)[0]["segment_value"] == HOSTILE


def test_a_validation_error_message_is_escaped() -> None:
    failure = Failure("s", "t", "expect_x", {"column": "c"}, "error", None, None, error="a\x1bb")
    assert "could not be checked: a\\x1bb" in failure.render()
