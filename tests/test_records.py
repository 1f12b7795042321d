"""The alert file is appended whole lines or nothing; a damaged line never blocks a digest.

The full disk is real: a small tmpfs mounted by the test (tests/full_disk.py); where mounting
is refused, `/dev/full`.
"""

from __future__ import annotations

import errno
import json
import logging
from pathlib import Path

import pytest
from full_disk import fill, mounted_full_disk

from nyckeltal import alerts, failures


def _finding(name: str) -> alerts.Finding:
    return alerts.Finding(alerts.ANOMALY, f"{alerts.ANOMALY}|{name}", 1.0, f"{name} moved")


def _digest(*names: str, has_history: bool = True) -> alerts.Digest:
    digest = alerts.build_digest([_finding(name) for name in names], set(), has_history=has_history)
    assert digest is not None
    return digest


def test_a_truncated_last_line_is_skipped_and_the_next_digest_stays_readable(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    channels = alerts.Channels(tmp_path / "alerts.jsonl")
    alerts.deliver(_digest("a", has_history=False), channels, run_id="r1")
    with open(channels.alerts_file, "a", encoding="utf-8") as handle:
        handle.write('{"kind": "digest", "item_ids": ["anomaly|b"')  # a crash mid-line
    with caplog.at_level(logging.WARNING):
        seen = alerts.read_alert_ids(channels.alerts_file)
    assert seen == {"anomaly|a"}
    assert f"{channels.alerts_file} line 2 is damaged" in caplog.text

    alerts.deliver(_digest("b"), channels, run_id="r2")
    lines = channels.alerts_file.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    assert json.loads(lines[2])["item_ids"] == ["anomaly|b"]
    assert alerts.read_alert_ids(channels.alerts_file) == {"anomaly|a", "anomaly|b"}


def test_an_append_to_a_full_disk_leaves_the_alert_file_as_it_was(tmp_path: Path) -> None:
    with mounted_full_disk(tmp_path / "disk") as disk:
        path = (disk or Path("/dev")) / ("alerts.jsonl" if disk else "full")
        if disk is not None:
            alerts.deliver(_digest("a", has_history=False), alerts.Channels(path), run_id="r1")
            fill(disk)
        before = path.read_bytes() if disk is not None else b""
        # More than a page: part of it fits in the file's last page, the rest does not.
        big = _digest(*(f"kpi_{number:04d}" for number in range(300)))
        with pytest.raises(OSError) as raised:
            alerts.deliver(big, alerts.Channels(path), run_id="r2")
        if disk is not None:
            assert path.read_bytes() == before  # a complete digest or nothing
        assert raised.value.errno == errno.ENOSPC
        assert failures.explain(raised.value) == (
            f"the disk holding {path} is full (No space left on device)"
        )
        if disk is None:
            return
        (disk / "filler").unlink()
        alerts.deliver(big, alerts.Channels(path), run_id="r3")
        records = [json.loads(line) for line in path.read_text().splitlines()]
        assert [record["run_id"] for record in records] == ["r1", "r3"]
