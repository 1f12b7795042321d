"""A BI tool in a loop, for tests/test_publish_reliability.py (run as a separate process).

    python publish_reader.py KIND TARGET STOP_FILE RESULT_FILE

KIND is `duckdb` (TARGET: the published file; a new connection per read), `postgres`
(TARGET: a URL; one REPEATABLE READ read-only transaction per read, a new connection every
ten reads), `postgres-statement` (one autocommit statement per read) or `parquet` (TARGET:
the Parquet folder; `current` resolved once per read). Every read checks that it saw exactly
one build: the publication record names one run, lists exactly the marts, each mart has the
recorded row count, and every row of every mart carries that run's build number (the test
marts have a `build_no` column; run `run-<n>` has build_no n). It reads until STOP_FILE
exists, then writes {"reads": n, "runs": {run: reads}, "failed": n, "failures": [...]} to
RESULT_FILE.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

TABLES = ("a", "b", "c")


def check(run_ids: set[str], counts: dict[str, int], tables: dict[str, tuple]) -> str:
    """The run read, or raise AssertionError. `tables`: name -> (rows, min build, max build)."""
    assert len(run_ids) == 1, f"publication names several runs: {run_ids}"
    (run_id,) = run_ids
    build = int(run_id.removeprefix("run-"))
    assert set(counts) == set(TABLES), f"publication lists {sorted(counts)}"
    for table, (rows, low, high) in tables.items():
        assert rows == counts[table], f"{run_id}: {table} has {rows} rows, recorded {counts}"
        assert low == high == build, f"{run_id}: {table} holds builds {low}..{high}"
    return run_id


def read_tables(connection: Any, prefix: str) -> str:
    """`check` of what one connection (DuckDB or PostgreSQL) sees: the publication and the
    tables, named `prefix` + name."""
    publication = connection.execute(
        f"select run_id, table_name, row_count from {prefix}publication"
    ).fetchall()
    tables = {
        table: connection.execute(
            f"select count(*), min(build_no), max(build_no) from {prefix}{table}"
        ).fetchone()
        for table in TABLES
    }
    return check({r for r, _, _ in publication}, {t: n for _, t, n in publication}, tables)


def read_duckdb(target: str, _: dict[str, Any]) -> str:
    import duckdb

    with duckdb.connect(target, read_only=True) as connection:
        return read_tables(connection, "marts.")


def read_postgres(target: str, state: dict[str, Any]) -> str:
    import psycopg

    state["n"] = state.get("n", 0) + 1
    if state.get("connection") is None or state["n"] % 10 == 0:
        if state.get("connection") is not None:
            state["connection"].close()
        state["connection"] = psycopg.connect(target)
        state["connection"].isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        state["connection"].read_only = True
    connection = state["connection"]
    with connection.transaction():
        return read_tables(connection, "")


def read_postgres_statement(target: str, state: dict[str, Any]) -> str:
    import psycopg

    if state.get("connection") is None:
        state["connection"] = psycopg.connect(target, autocommit=True)
    parts = ", ".join(
        f"(select json_build_array(count(*), min(build_no), max(build_no)) from {table})"
        for table in TABLES
    )
    row = (
        state["connection"]
        .execute(
            "select (select json_agg(json_build_array(run_id, table_name, row_count)) "
            f"from publication), {parts}"
        )
        .fetchone()
    )
    publication = row[0]
    tables = {table: tuple(value) for table, value in zip(TABLES, row[1:], strict=True)}
    return check({r for r, _, _ in publication}, {t: n for _, t, n in publication}, tables)


def read_parquet(target: str, _: dict[str, Any]) -> str:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    build = Path(os.path.realpath(Path(target) / "current"))
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    tables = {}
    for table in TABLES:
        column = pq.read_table(build / manifest["tables"][table]["file"], columns=["build_no"])[0]
        bounds = pc.min_max(column)
        tables[table] = (len(column), bounds["min"].as_py(), bounds["max"].as_py())
    counts = {table: entry["row_count"] for table, entry in manifest["tables"].items()}
    return check({manifest["run_id"]}, counts, tables)


READERS = {
    "duckdb": read_duckdb,
    "postgres": read_postgres,
    "postgres-statement": read_postgres_statement,
    "parquet": read_parquet,
}


def main() -> None:
    kind, target, stop_file, result_file = sys.argv[1:5]
    read = READERS[kind]
    state: dict[str, Any] = {}
    runs: Counter[str] = Counter()
    failures: list[str] = []
    reads = 0
    Path(result_file + ".started").touch()
    while not Path(stop_file).exists():
        reads += 1
        try:
            runs[read(target, state)] += 1
        except Exception as error:  # every failed read is reported, none is retried
            failures.append(f"{type(error).__name__}: {error}")
            state.pop("connection", None)
        time.sleep(0.05)
    Path(result_file).write_text(
        json.dumps(
            {"reads": reads, "runs": dict(runs), "failed": len(failures), "failures": failures[:20]}
        ),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
