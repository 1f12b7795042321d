"""Publishing to Parquet and PostgreSQL (a private server: tests/postgres_server.py).

Each target is checked against the DuckDB snapshot of the same publication, cell by cell,
on marts that hold the awkward values (nulls, empty strings, quotes, NaN, infinities,
non-ASCII text, decimals, time stamps).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from pathlib import Path

import duckdb
import psycopg
import pyarrow.parquet as pq
import pytest

from nyckeltal.publish import (
    PARQUET_CURRENT,
    TEMPORARY_PREFIX,
    MartDoc,
    PostgresTarget,
    PublishError,
    parquet_builds,
    publish,
)

READER_PASSWORD = "reader-secret"
DOCS = {
    "orders_monthly": MartDoc(
        "Orders per month. One row per month and channel.",
        {"month_start": "First day of the month.", "note": "A note; it's 'quoted'."},
    )
}


def make_warehouse(path: Path, rows: int = 50, extra_column: bool = False) -> Path:
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema if not exists marts")
        connection.execute("drop table if exists marts.orders_monthly")
        extra = ", range * 2 as doubled" if extra_column else ""
        connection.execute(
            f"""
            create table marts.orders_monthly as
            select
                (date '2024-01-01' + to_months(range::int))::date as month_start,
                ['web', 'shop', 'partner'][range % 3 + 1] as channel,
                range::bigint as orders,
                (range * 1.25)::double as revenue,
                (range / 7)::decimal(18, 3) as share,
                range % 2 = 0 as is_complete,
                timestamp '2024-05-01 10:00:00.123456' + to_seconds(range) as loaded_at,
                case range % 5
                    when 0 then null when 1 then '' when 2 then 'say "hi", ok'
                    when 3 then 'Göteborg, Malmö' else e'two\\nlines'
                end as note,
                case range % 4 when 0 then 'nan'::double when 1 then 'inf'::double
                    when 2 then null else 0.1 end as ratio
                {extra}
            from range({rows})
            """
        )
        connection.execute("drop table if exists marts.small")
        connection.execute("create table marts.small as select 1::integer as id")
    return path


def snapshot_rows(published: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(published), read_only=True) as connection:
        return connection.execute(f"select * from marts.{table} order by all").fetchall()


def postgres_rows(url: str, table: str) -> list[tuple]:
    with psycopg.connect(url) as connection:
        return connection.execute(f"select * from marts.{table} order by 1, 2").fetchall()


def same(left: object, right: object) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return (math.isnan(left) and math.isnan(right)) or left == right
    return left == right


def assert_same_rows(expected: list[tuple], actual: list[tuple]) -> None:
    assert len(expected) == len(actual)
    for left, right in zip(expected, actual, strict=True):
        assert len(left) == len(right)
        assert all(same(a, b) for a, b in zip(left, right, strict=True)), (left, right)


@pytest.fixture
def target(postgres_database: str) -> PostgresTarget:
    return PostgresTarget(postgres_database, reader_password=READER_PASSWORD)


def reader_url(target: PostgresTarget) -> str:
    user_part, rest = target.url.split("@", 1)
    return f"postgresql://nyckeltal_reader:{READER_PASSWORD}@{rest}"


def test_postgres_gets_the_snapshot_with_comments_and_publication(
    tmp_path: Path, target: PostgresTarget
) -> None:
    warehouse = make_warehouse(tmp_path / "w.duckdb")
    published = tmp_path / "published.duckdb"
    publication = publish(
        warehouse, published, dt.date(2024, 6, 30), "run-1", postgres=target, docs=DOCS
    )
    assert publication.postgres and publication.row_counts == {"orders_monthly": 50, "small": 1}
    assert_same_rows(
        snapshot_rows(published, "orders_monthly"), postgres_rows(target.url, "orders_monthly")
    )
    with psycopg.connect(reader_url(target)) as connection:
        assert connection.execute(
            "select run_id, as_of_date, table_name, row_count, published_at from publication "
            "order by table_name"
        ).fetchall() == [
            ("run-1", dt.date(2024, 6, 30), "orders_monthly", 50, publication.published_at),
            ("run-1", dt.date(2024, 6, 30), "small", 1, publication.published_at),
        ]
        types = dict(
            connection.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'marts' and table_name = 'orders_monthly'"
            ).fetchall()
        )
        comments = connection.execute(
            "select obj_description('marts.orders_monthly'::regclass), "
            "col_description('marts.orders_monthly'::regclass, 1), "
            "col_description('marts.orders_monthly'::regclass, 8)"
        ).fetchone()
    assert types["share"] == "numeric" and types["loaded_at"].startswith("timestamp without")
    assert types["revenue"] == "double precision" and types["is_complete"] == "boolean"
    assert comments == (
        "Orders per month. One row per month and channel.",
        "First day of the month.",
        "A note; it's 'quoted'.",
    )
    # The DuckDB snapshot carries the same comments.
    with duckdb.connect(str(published), read_only=True) as connection:
        assert connection.execute(
            "select comment from duckdb_columns() where table_name = 'orders_monthly' "
            "and column_name = 'note'"
        ).fetchone() == ("A note; it's 'quoted'.",)


def test_reader_role_reads_the_marts_and_nothing_else(
    tmp_path: Path, target: PostgresTarget
) -> None:
    with psycopg.connect(target.url, autocommit=True) as owner:
        owner.execute("create schema private")
        owner.execute("create table private.salaries as select 1 as salary")
        owner.execute("create table public.secrets as select 'x' as secret")
    publish(make_warehouse(tmp_path / "w.duckdb"), tmp_path / "p.duckdb", postgres=target)
    with psycopg.connect(reader_url(target), autocommit=True) as reader:
        assert reader.execute("select count(*) from orders_monthly").fetchone() == (50,)
        assert reader.execute("show default_transaction_read_only").fetchone() == ("on",)
        forbidden = [
            "select * from private.salaries",
            "select * from public.secrets",
            "delete from marts.small",
            "create table marts.mine (i int)",
            "create table public.mine (i int)",
            "create temporary table mine (i int)",
            "create schema mine",
        ]
        for statement in forbidden:
            with pytest.raises(psycopg.Error):
                reader.execute(statement)
        # Even with read-write transactions, privileges stop it.
        reader.execute("set default_transaction_read_only = off")
        for statement in forbidden[:5] + [
            "create schema mine",
            "insert into marts.small values (2)",
        ]:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                reader.execute(statement)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(reader_url(target).replace(READER_PASSWORD, "wrong"))


def test_structural_changes_follow_the_marts(tmp_path: Path, target: PostgresTarget) -> None:
    warehouse = make_warehouse(tmp_path / "w.duckdb")
    published = tmp_path / "p.duckdb"
    publish(warehouse, published, postgres=target)
    make_warehouse(warehouse, rows=7, extra_column=True)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("drop table marts.small")
        connection.execute("create table marts.added as select 'a' as letter")
    publish(warehouse, published, postgres=target, run_id="run-2")
    with psycopg.connect(reader_url(target)) as reader:
        tables = reader.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "order by 1"
        ).fetchall()
        assert tables == [("added",), ("orders_monthly",), ("publication",)]
        assert reader.execute("select max(doubled) from orders_monthly").fetchone() == (12,)
        assert reader.execute("select letter from added").fetchall() == [("a",)]
    assert_same_rows(
        snapshot_rows(published, "orders_monthly"), postgres_rows(target.url, "orders_monthly")
    )


def test_failure_midway_leaves_every_target_at_the_previous_publication(
    tmp_path: Path, target: PostgresTarget
) -> None:
    warehouse = make_warehouse(tmp_path / "w.duckdb")
    published = tmp_path / "p.duckdb"
    folder = tmp_path / "parquet"
    publish(warehouse, published, run_id="good", parquet_dir=folder, postgres=target)
    before = published.read_bytes()
    with duckdb.connect(str(warehouse)) as connection:  # a type PostgreSQL gets no mapping for
        connection.execute("create table marts.zz_lists as select [1, 2] as numbers")
        connection.execute("delete from marts.orders_monthly")
    with pytest.raises(PublishError, match="INTEGER\\[\\]"):
        publish(warehouse, published, run_id="bad", parquet_dir=folder, postgres=target)
    assert published.read_bytes() == before
    assert [path.name for path in parquet_builds(folder)] == [os.readlink(folder / "current")]
    assert json.loads((folder / "current" / "manifest.json").read_text())["run_id"] == "good"
    with psycopg.connect(reader_url(target)) as reader:
        assert reader.execute("select distinct run_id from publication").fetchall() == [("good",)]
        assert reader.execute("select count(*) from orders_monthly").fetchone() == (50,)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(TEMPORARY_PREFIX)]
    assert not [p for p in folder.iterdir() if p.name.startswith(".tmp")]


def test_unreachable_postgres_publishes_nothing(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "w.duckdb")
    published = tmp_path / "p.duckdb"
    unreachable = PostgresTarget("postgresql://nobody:x@127.0.0.1:1/none?connect_timeout=3")
    with pytest.raises(PublishError, match="cannot connect"):
        publish(warehouse, published, postgres=unreachable, parquet_dir=tmp_path / "parquet")
    assert not published.exists() and not parquet_builds(tmp_path / "parquet")


def test_schema_and_role_names_are_checked() -> None:
    with pytest.raises(PublishError, match="plain PostgreSQL name"):
        PostgresTarget("postgresql://x", schema="marts; drop table x")


def test_parquet_builds_are_switched_atomically_and_pruned(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "w.duckdb")
    published = tmp_path / "p.duckdb"
    folder = tmp_path / "published"
    (folder / ".tmp_build_killed").mkdir(parents=True)  # a killed publisher's leftover
    runs = [f"run-{number}" for number in range(5)]
    for number, run in enumerate(runs):
        make_warehouse(warehouse, rows=10 + number)
        publication = publish(
            warehouse, published, dt.date(2024, 6, number + 1), run, parquet_dir=folder, docs=DOCS
        )
    current = folder / PARQUET_CURRENT
    assert current.is_symlink() and current.resolve() == publication.parquet
    manifest = json.loads((current / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["run_id"] == "run-4" and manifest["as_of_date"] == "2024-06-05"
    orders = manifest["tables"]["orders_monthly"]
    assert orders["row_count"] == 14 and orders["file"] == "orders_monthly.parquet"
    assert orders["description"] == DOCS["orders_monthly"].description
    assert orders["columns"][0] == {
        "name": "month_start",
        "type": "DATE",
        "description": "First day of the month.",
    }
    table = pq.read_table(current / "orders_monthly.parquet")
    assert table.num_rows == 14
    with duckdb.connect() as connection:
        parquet = connection.execute(
            f"select * from read_parquet('{current}/orders_monthly.parquet') order by all"
        ).fetchall()
    assert_same_rows(snapshot_rows(published, "orders_monthly"), parquet)
    # The current build and the two before it are kept; no unfinished build is left.
    assert [path.name.rsplit("_", 1)[-1] for path in parquet_builds(folder)] == [
        "run-2",
        "run-3",
        "run-4",
    ]
    assert sorted(path.name for path in folder.iterdir() if not path.name.startswith("build_")) == [
        "current"
    ]


def test_publication_records_the_reporting_currency(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "w.duckdb")
    published = tmp_path / "p.duckdb"
    folder = tmp_path / "published"
    publish(
        warehouse,
        published,
        dt.date(2024, 6, 1),
        "run-sek",
        parquet_dir=folder,
        reporting_currency="SEK",
    )
    with duckdb.connect(str(published), read_only=True) as connection:
        rows = connection.execute(
            "select table_name, reporting_currency from marts.publication order by table_name"
        ).fetchall()
        comment = connection.execute(
            "select comment from duckdb_columns() where table_name = 'publication' "
            "and column_name = 'reporting_currency'"
        ).fetchone()
    assert rows == [("orders_monthly", "SEK"), ("small", "SEK")]
    assert comment and "ISO 4217" in comment[0]
    manifest = json.loads((folder / PARQUET_CURRENT / "manifest.json").read_text("utf-8"))
    assert manifest["reporting_currency"] == "SEK"
