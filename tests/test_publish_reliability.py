"""Readers never fail and never see a mix of builds while the marts are republished.

Four reader processes (the DuckDB snapshot, PostgreSQL in REPEATABLE READ transactions,
PostgreSQL in single autocommit statements, the Parquet folder) query in a loop while six
publications run, each in its own process: four succeed, one raises in the middle of the
PostgreSQL load, one is killed with SIGKILL at the same point. Every read must succeed and
see exactly one build (tests/publish_reader.py checks row counts against the publication
record and a build number in every row). After the kill the previous publication is intact
everywhere, and the next one succeeds and clears the leftovers. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psycopg

from nyckeltal.publish import TEMPORARY_PREFIX

HERE = Path(__file__).parent
READER_PASSWORD = "reader-secret"
READERS = ("duckdb", "postgres", "postgres-statement", "parquet")


def build_warehouse(path: Path, build: int) -> None:
    """Marts a, b, c whose sizes and `build_no` column identify build `build`."""
    sizes = {"a": 20_000 + 1_000 * build, "b": 500 + build, "c": 1 + build}
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema if not exists marts")
        for table, rows in sizes.items():
            connection.execute(
                f"create or replace table marts.{table} as select {build} as build_no, "
                f"range as row_no, 'row ' || range as label, range * 0.5 as amount "
                f"from range({rows})"
            )


def publisher(mode: str, paths: dict[str, Path], url: str, build: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            str(HERE / "publish_worker.py"),
            mode,
            str(paths["warehouse"]),
            str(paths["published"]),
            str(paths["parquet"]),
            url,
            READER_PASSWORD,
            f"run-{build}",
            str(paths["marker"]),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_publisher(mode: str, paths: dict[str, Path], url: str, build: int) -> tuple[int, str]:
    build_warehouse(paths["warehouse"], build)
    process = publisher(mode, paths, url, build)
    begun = time.monotonic()
    _, stderr = process.communicate(timeout=60)
    print(f"publication {build} ({mode}): {time.monotonic() - begun:.1f} s")
    return process.returncode, stderr


def publish_ok(paths: dict[str, Path], url: str, build: int) -> None:
    code, stderr = run_publisher("ok", paths, url, build)
    assert code == 0, stderr


def published_runs(paths: dict[str, Path], url: str) -> dict[str, set[str]]:
    """The run id of the current publication in each target."""
    with duckdb.connect(str(paths["published"]), read_only=True) as connection:
        snapshot = {
            r for (r,) in connection.execute("select run_id from marts.publication").fetchall()
        }
    with psycopg.connect(url) as connection:
        postgres = {
            r for (r,) in connection.execute("select run_id from marts.publication").fetchall()
        }
    manifest = json.loads((paths["parquet"] / "current" / "manifest.json").read_text())
    return {"duckdb": snapshot, "postgres": postgres, "parquet": {manifest["run_id"]}}


def test_readers_never_fail_nor_mix_builds_across_failed_and_killed_publications(
    tmp_path: Path, postgres_database: str
) -> None:
    started = time.monotonic()
    paths = {
        "warehouse": tmp_path / "warehouse.duckdb",
        "published": tmp_path / "published.duckdb",
        "parquet": tmp_path / "published",
        "marker": tmp_path / "hanging",
    }
    url = postgres_database
    reader_url = url.replace(url.split("@")[0], f"postgresql://nyckeltal_reader:{READER_PASSWORD}")
    publish_ok(paths, url, 1)

    stop = tmp_path / "stop"
    readers = {}
    for kind in READERS:
        target = {
            "duckdb": str(paths["published"]),
            "parquet": str(paths["parquet"]),
        }.get(kind, reader_url)
        result = tmp_path / f"reader-{kind}.json"
        readers[kind] = (
            subprocess.Popen(
                [
                    sys.executable,
                    str(HERE / "publish_reader.py"),
                    kind,
                    target,
                    str(stop),
                    str(result),
                ]
            ),
            result,
        )
    try:
        deadline = time.monotonic() + 60
        while not all(Path(f"{result}.started").exists() for _, result in readers.values()):
            assert time.monotonic() < deadline, "the readers did not start"
            time.sleep(0.1)
        time.sleep(1)

        publish_ok(paths, url, 2)

        code, stderr = run_publisher("fail", paths, url, 3)
        assert code == 1 and "injected failure" in stderr
        assert published_runs(paths, url) == dict.fromkeys(
            ("duckdb", "postgres", "parquet"), {"run-2"}
        )

        build_warehouse(paths["warehouse"], 4)
        hanging = publisher("hang", paths, url, 4)
        deadline = time.monotonic() + 60
        while not paths["marker"].exists():
            assert hanging.poll() is None, hanging.communicate()[1]
            assert time.monotonic() < deadline, "the publisher never reached the kill point"
            time.sleep(0.05)
        time.sleep(0.5)  # readers keep reading while the transaction is open
        os.kill(hanging.pid, signal.SIGKILL)
        assert hanging.wait(timeout=30) == -signal.SIGKILL
        # The killed run left its temporary files, but every target still serves run-2.
        assert [p for p in tmp_path.iterdir() if p.name.startswith(TEMPORARY_PREFIX)]
        assert published_runs(paths, url) == dict.fromkeys(
            ("duckdb", "postgres", "parquet"), {"run-2"}
        )
        time.sleep(0.5)

        publish_ok(paths, url, 5)
        publish_ok(paths, url, 6)
        time.sleep(1)
    finally:
        stop.touch()
        results = {}
        for kind, (process, result) in readers.items():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
            results[kind] = json.loads(result.read_text()) if result.exists() else None

    assert published_runs(paths, url) == dict.fromkeys(("duckdb", "postgres", "parquet"), {"run-6"})
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(TEMPORARY_PREFIX)]
    assert not [p for p in paths["parquet"].iterdir() if p.name.startswith(".tmp")]
    with psycopg.connect(url) as connection:  # the killed publisher's session is gone
        assert connection.execute(
            "select count(*) from pg_stat_activity where application_name = 'nyckeltal publish'"
        ).fetchone() == (0,)
    for kind, result in results.items():
        assert result is not None, f"the {kind} reader wrote no result"
        assert result["failed"] == 0, (kind, result["failures"])
        # Only successful publications were ever seen, and each reader saw the swaps.
        assert set(result["runs"]) <= {"run-1", "run-2", "run-5", "run-6"}, (kind, result)
        assert {"run-2", "run-6"} <= set(result["runs"]), (kind, result)
        assert result["reads"] >= 20, (kind, result)
    print({kind: result["reads"] for kind, result in results.items()})
    assert time.monotonic() - started < 120
