"""Publishing: the published file is replaced atomically, or not at all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import WIDE_MART_ROWS, execute

from nyckeltal import settings
from nyckeltal.context import RunContext
from nyckeltal.publish import TEMPORARY_PREFIX, PublishError, publish


def scorecard_rows(path: Path) -> int:
    """Rows of the published scorecard as another process (a BI tool) sees them.

    (Within one process DuckDB shares the database instance of a path that is still open.)
    """
    code = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
        "print(c.execute('select count(*) from marts.kpi_scorecard').fetchone()[0])"
    )
    output = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    return int(output.stdout)


def leftovers(folder: Path) -> list[Path]:
    return [path for path in folder.iterdir() if path.name.startswith(TEMPORARY_PREFIX)]


MART_ROWS = dict(
    sorted(
        {"kpi_scorecard": 15, **{mart: len(rows) for mart, rows in WIDE_MART_ROWS.items()}}.items()
    )
)


def test_publish_copies_the_marts_and_a_publication_record(warehouse: Path) -> None:
    published = settings.published_path(warehouse)
    assert published == warehouse.with_name("nyckeltal_published.duckdb")
    publication = publish(warehouse, published)
    assert publication.row_counts == MART_ROWS
    with duckdb.connect(str(published), read_only=True) as connection:
        tables = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "order by 1"
        ).fetchall()
        record = connection.execute(
            "select run_id, table_name, row_count from marts.publication order by table_name"
        ).fetchall()
        schemas = connection.execute(
            "select distinct table_schema from information_schema.tables"
        ).fetchall()
    assert [t for (t,) in tables] == sorted([*MART_ROWS, "publication"])
    assert [(name, count) for _, name, count in record] == list(MART_ROWS.items())
    assert schemas == [("marts",)]  # no raw data, no intermediate models
    assert not leftovers(warehouse.parent)


def test_reader_opened_before_a_publish_keeps_its_snapshot(warehouse: Path) -> None:
    published = warehouse.with_name("published.duckdb")
    publish(warehouse, published)
    reader = duckdb.connect(str(published), read_only=True)
    try:
        execute(warehouse, "delete from marts.kpi_scorecard where kpi_code = 'nps'")
        publish(warehouse, published)
        # The open reader still sees yesterday's snapshot; a new connection sees today's.
        assert reader.execute("select count(*) from marts.kpi_scorecard").fetchone()[0] == 15
        assert scorecard_rows(published) == 10
    finally:
        reader.close()
    assert not leftovers(warehouse.parent)


def test_failure_before_the_replace_leaves_the_published_file_identical(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = warehouse.with_name("published.duckdb")
    publish(warehouse, published)
    before = published.read_bytes()
    execute(warehouse, "delete from marts.kpi_scorecard")

    def broken_replace(source: object, target: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("nyckeltal.publish.os.replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        publish(warehouse, published)
    assert published.read_bytes() == before
    assert not leftovers(warehouse.parent)


def test_warehouse_without_marts_publishes_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    published = tmp_path / "published.duckdb"
    with pytest.raises(PublishError, match="no tables in schema marts"):
        publish(empty, published)
    assert not published.exists() and not leftovers(tmp_path)


def test_published_path_is_configurable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NYCKELTAL_PUBLISHED", str(tmp_path / "bi.duckdb"))
    assert settings.published_path(tmp_path / "wh.duckdb") == tmp_path / "bi.duckdb"


def test_publish_marts_follows_the_settings_to_parquet_and_postgres(
    warehouse: Path, postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real marts (contract types) reach PostgreSQL with every dbt description, and
    Parquet beside the published file, as configured by environment variables."""
    import json

    import psycopg

    from nyckeltal.pipeline import publish_marts
    from nyckeltal.publish import mart_docs

    monkeypatch.setenv("NYCKELTAL_PUBLISH_POSTGRES_URL", postgres_database)
    monkeypatch.setenv("NYCKELTAL_PUBLISH_POSTGRES_SCHEMA", "kpi")
    monkeypatch.setenv("NYCKELTAL_PUBLISH_POSTGRES_READER_ROLE", "kpi_reader")
    monkeypatch.setenv("NYCKELTAL_PUBLISH_POSTGRES_READER_PASSWORD", "kpi-reader-secret")
    published = publish_marts(RunContext.build(warehouse=warehouse), run_id="dagster-run-1")
    assert published == warehouse.with_name("nyckeltal_published.duckdb")
    manifest = json.loads(
        (warehouse.with_name("published") / "current" / "manifest.json").read_text()
    )
    assert manifest["run_id"] == "dagster-run-1"
    assert {t: e["row_count"] for t, e in manifest["tables"].items()} == MART_ROWS
    docs = mart_docs(settings.project_dir())
    reader = postgres_database.replace(
        postgres_database.split("@")[0], "postgresql://kpi_reader:kpi-reader-secret"
    )
    with psycopg.connect(reader) as connection:
        counts = {
            table: connection.execute(f"select count(*) from kpi.{table}").fetchone()[0]
            for table in MART_ROWS
        }
        comments = connection.execute(
            "select c.relname, a.attname, col_description(c.oid, a.attnum) from pg_class c "
            "join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'kpi' "
            "join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 "
            "where c.relname <> 'publication'"
        ).fetchall()
    assert counts == MART_ROWS
    assert len(comments) > 100
    for table, column, comment in comments:
        assert comment and comment == docs[table].columns[column], (table, column)


def test_parquet_can_be_turned_off(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nyckeltal.pipeline import publish_marts

    monkeypatch.setenv("NYCKELTAL_PUBLISH_PARQUET", "false")
    publish_marts(RunContext.build(warehouse=warehouse))
    assert not warehouse.with_name("published").exists()
